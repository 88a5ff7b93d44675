"""Parsons' ActionKit connector, its real code, against the sandbox over HTTP.

Parsons (move-coop/parsons) is the most used public ActionKit client; if the sandbox answers one of its calls
differently from what Parsons expects, the sandbox has drifted from ActionKit. Parsons is not a dependency of this
project and none of its code is here: ``pip install parsons`` (core install: petl, simplejson, requests-oauthlib)
runs this module, which is skipped otherwise. Written against parsons 6.1.0.

Each test drives one method of ``parsons/action_kit/action_kit.py::ActionKit`` and checks what Parsons' own tests
(``test/test_action_kit.py``) expect of ActionKit: 201 with ``Location`` on create, 202 on PATCH, 204 on DELETE,
JSON bodies on GET. Parsons ignores the status of its update and delete calls (it only logs it), so a sandbox
answering 405 there would "pass" silently; the tests below assert the status and read the change back.

| Parsons method | request it sends |
|---|---|
| get_user | GET user/<id>/ |
| get_user_fields | GET user/schema/, reads ``fields`` keys |
| create_user | POST user/, returns the Location header |
| update_user | PATCH user/<id>/ |
| delete_user | DELETE user/<id>/ |
| add_phone | POST phone/ {"user": uri, "phone_type", "phone"}, returns Location |
| update_phone | PATCH phone/<id>/ |
| create_generic_action | POST action/ {"page", "email", ...}, returns the JSON body |
| update_import_action | PATCH importaction/<id>/ |
| paginated_get("user"/"page"/"action") | GET <type>/?_limit=100&<filters>, then https://<domain><meta.next> |
| paginated_get_custom_limit | as paginated_get with order_by=<field>, stopping at a threshold |
"""

from __future__ import annotations

import warnings

import pytest
import requests
from requests.adapters import HTTPAdapter

from actionkit import errors

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parsons/__init__.py warns about its changed install on every import.
    action_kit = pytest.importorskip("parsons.action_kit.action_kit", reason="pip install parsons to run these")

pytestmark = pytest.mark.e2e
PAGE = "parsons-import"


class PlainHTTP(HTTPAdapter):
    """Parsons builds every URL as https://<domain>/...; the sandbox speaks HTTP on loopback. Only the scheme
    changes, at the transport, so every line of Parsons' code runs as written."""

    def send(self, request, **kwargs):
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **{**kwargs, "proxies": {}})


@pytest.fixture(scope="module")
def sandbox(ak_sandbox):
    ak_sandbox.reset()
    ak_sandbox.seed(users=150, pages=3, actions=40)  # More than one 100-row page of users.
    ak_sandbox.create_page(PAGE)
    yield ak_sandbox
    ak_sandbox.reset()


@pytest.fixture
def ak(sandbox):
    client = action_kit.ActionKit(domain=sandbox.host, username=sandbox.username, password=sandbox.password)
    client.conn.mount(f"https://{sandbox.host}/", PlainHTTP())
    yield client
    client.conn.close()


def member(sandbox, email: str) -> dict:
    return sandbox.create_user(email, first_name="Rosa", phones=[{"phone": "510-555-0101", "type": "home"}])


def test_get_user(sandbox, ak):
    user = member(sandbox, "parsons-get@example.org")
    got = ak.get_user(user["id"])
    assert got["email"] == "parsons-get@example.org" and got["resource_uri"] == f"/rest/v1/user/{user['id']}/"


def test_get_user_fields(sandbox, ak):
    fields = ak.get_user_fields()
    assert {"email", "first_name", "last_name", "zip", "fields", "phones", "updated_at"} <= set(fields)


def test_create_user(sandbox, ak):
    location = ak.create_user("parsons-new@example.org", first_name="Ada", zip="94801")
    assert location.startswith(f"{sandbox.base_url}/rest/v1/user/")  # Absolute, as ActionKit sends it.
    created = ak.get_user(errors.id_from_uri(location))
    assert (created["email"], created["first_name"], created["zip"]) == ("parsons-new@example.org", "Ada", "94801")
    with pytest.raises(Exception, match="Could not create user"):  # 409 on the same email.
        ak.create_user("parsons-new@example.org")


def test_update_user(sandbox, ak):
    user = member(sandbox, "parsons-update@example.org")
    response = ak.update_user(user["id"], first_name="Rosalind", fields={"employer": "Acme"})
    assert response.status_code == 202
    got = ak.get_user(user["id"])
    assert got["first_name"] == "Rosalind" and got["fields"]["employer"] == "Acme"


def test_delete_user(sandbox, ak, ak_client):
    user = member(sandbox, "parsons-delete@example.org")
    assert ak.delete_user(user["id"]) is None  # Parsons only logs the status; check what the sandbox did.
    with pytest.raises(errors.ActionKitNotFound):
        ak_client.user_get(user["id"])
    assert ak.conn.delete(ak._base_endpoint("user", user["id"])).status_code == 404


def test_add_phone(sandbox, ak, ak_client):
    user = member(sandbox, "parsons-phone@example.org")
    location = ak.add_phone(user["id"], "mobile", "+1 (202) 555-0147")
    phone = ak_client.user_phones(user["id"])[-1]
    assert location == f"{sandbox.base_url}{phone['resource_uri']}"
    assert (phone["type"], phone["normalized_phone"]) == ("mobile", "12025550147")  # phone_type is honoured.


def test_update_phone(sandbox, ak, ak_client):
    user = member(sandbox, "parsons-phone2@example.org")
    [phone] = ak_client.user_phones(user["id"])
    response = ak.update_phone(phone["id"], phone="510-555-0188", type="mobile")
    assert response.status_code == 202
    [changed] = ak_client.user_phones(user["id"])
    assert (changed["phone"], changed["normalized_phone"], changed["type"]) == ("510-555-0188", "5105550188", "mobile")


def test_create_generic_action(sandbox, ak):
    body = ak.create_generic_action(PAGE, email="parsons-act@example.org", action_note="hi", first_name="Ida")
    assert body["fields"] == {"note": "hi"} and body["status"] == "complete" and body["created_user"]
    assert body["resource_uri"] == f"/rest/v1/importaction/{body['id']}/"
    assert ak.get_user(errors.id_from_uri(body["user"]))["first_name"] == "Ida"
    with pytest.raises(Exception, match="Could not create action"):
        ak.create_generic_action("no-such-page", email="parsons-act@example.org")


def test_update_import_action(sandbox, ak):
    body = ak.create_generic_action(PAGE, email="parsons-act2@example.org", action_note="before")
    response = ak.update_import_action(body["id"], source="parsons", fields={"note": "after"})
    assert response.status_code == 202
    got = ak._base_get("importaction", body["id"])
    assert got["source"] == "parsons" and got["fields"] == {"note": "after"}


def test_paginated_get_users_follows_meta_next(sandbox, ak):
    table = ak.paginated_get("user")
    assert table.num_rows == len({row["id"] for row in table}) >= 150
    assert ak.paginated_get("user", limit=5).num_rows == 5
    [row] = ak.paginated_get("user", email="seed7@example.org")
    assert row["email"] == "seed7@example.org"


def test_paginated_get_pages_and_actions(sandbox, ak):
    [page] = ak.paginated_get("page", name=PAGE)
    assert page["type"] == "Import" and page["resource_uri"] == f"/rest/v1/importpage/{page['id']}/"
    assert ak.paginated_get("page").num_rows == 4  # Three seeded pages and the import page.
    taken = ak.create_generic_action(PAGE, email="parsons-list@example.org")
    actions = ak.paginated_get("action", page=page["id"])
    assert taken["id"] in {a["id"] for a in actions} and all(a["page"] == page["resource_uri"] for a in actions)
    assert ak.paginated_get("action").num_rows == 40 + actions.num_rows


def test_paginated_get_custom_limit_orders_and_stops(sandbox, ak):
    everyone = sorted(row["updated_at"] for row in ak.paginated_get("user"))
    threshold = everyone[120]
    table = ak.paginated_get_custom_limit("user", threshold_field="updated_at", threshold_value=threshold)
    stamps = [row["updated_at"] for row in table]
    assert stamps == sorted(stamps) and stamps and all(s <= threshold for s in stamps)


def test_the_https_shim_changes_only_the_scheme(sandbox, ak):
    response = ak.conn.get(ak._base_endpoint("user"), params={"_limit": 1})
    assert response.url.startswith(f"http://{sandbox.host}/rest/v1/user/") and response.status_code == 200
    assert isinstance(ak.conn.get_adapter(f"https://{sandbox.host}/"), PlainHTTP)
    assert not isinstance(ak.conn.get_adapter("https://example.org/"), PlainHTTP)
    assert requests.get(f"{sandbox.base_url}/rest/v1/user/schema/", timeout=5).status_code == 401
