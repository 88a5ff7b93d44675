"""Real-ActionKit behaviours the sandbox can switch on (``ak_sandbox.quirk``), and what the client makes of them.

Each quirk is off by default; docs/actionkit-compatibility.md says which product assumption each one tests.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests

from actionkit import errors

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox(ak_sandbox):
    """The sandbox with fresh data and every quirk off again after the test."""
    ak_sandbox.reset()
    yield ak_sandbox
    ak_sandbox.quirks_off()


def get(sandbox, path: str, **params) -> requests.Response:
    return requests.get(
        f"{sandbox.base_url}{path}", params=params, auth=(sandbox.username, sandbox.password), timeout=5
    )


def post(sandbox, path: str, body: dict, method: str = "POST") -> requests.Response:
    url = path if path.startswith("http") else f"{sandbox.base_url}{path}"
    return requests.request(method, url, json=body, auth=(sandbox.username, sandbox.password), timeout=5)


# unknown_filters_ignored -------------------------------------------------------------------------------------


def test_it_rejects_a_filter_on_an_unknown_field_by_default(sandbox):
    sandbox.seed(users=5)
    response = get(sandbox, "/rest/v1/user/", no_such_field="1")
    assert response.status_code == 400
    assert response.json() == {"error": "The 'no_such_field' field does not allow filtering."}


def test_it_returns_the_unfiltered_list_for_an_unknown_field_when_quirk_is_on(sandbox):
    sandbox.seed(users=5)
    sandbox.quirk("unknown_filters_ignored")
    everyone = get(sandbox, "/rest/v1/user/").json()["meta"]["total_count"]
    ignored = get(sandbox, "/rest/v1/user/", no_such_field="1", whatever__in="1,2")
    assert ignored.status_code == 200 and ignored.json()["meta"]["total_count"] == everyone == 5
    # A field the resource has is still checked, exactly as tastypie's check_filtering does.
    assert get(sandbox, "/rest/v1/user/", first_name="Ana").json() == {
        "error": "The 'first_name' field does not allow filtering."
    }
    assert get(sandbox, "/rest/v1/user/", updated_at__lt="2020-01-01").json() == {
        "error": "'lt' is not an allowed filter on the 'updated_at' field."
    }


# Location headers --------------------------------------------------------------------------------------------


def test_it_sends_absolute_locations_on_201_and_409(sandbox):
    created = post(sandbox, "/rest/v1/user/", {"email": "loc@example.org"})
    assert created.status_code == 201 and created.headers["Location"].startswith(f"{sandbox.base_url}/rest/v1/user/")
    clash = post(sandbox, "/rest/v1/user/", {"email": "loc@example.org"})
    assert clash.status_code == 409 and clash.headers["Location"] == created.headers["Location"]
    assert get(sandbox, created.headers["Location"].removeprefix(sandbox.base_url)).json()["email"] == "loc@example.org"


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_the_client_reads_ids_from_absolute_and_relative_locations(sandbox, ak_client, relative):
    if relative:
        sandbox.quirk("relative_locations")
    page = ak_client.import_page_ensure(name="loc-page", title="Locations")
    assert page["created"] and page["id"] == ak_client.import_page_ensure(name="loc-page", title="x")["id"]
    taken = ak_client.action_process(page="loc-page", email="loc2@example.org")
    assert taken["action_id"] == errors.id_from_uri(taken["location"]) and taken["user_id"]
    assert taken["location"].startswith("/rest/v1/" if relative else f"{sandbox.base_url}/rest/v1/")


# forbidden_resources -----------------------------------------------------------------------------------------


def test_a_resource_the_staff_account_may_not_use_answers_401_alone(sandbox, ak_client):
    sandbox.seed(users=3, usergroups=2)
    sandbox.quirk("forbidden_resources", resources=["usergroup"])
    for path in ("/rest/v1/usergroup/", "/rest/v1/usergroup/1/", "/rest/v1/usergroup/schema/"):
        response = get(sandbox, path)
        assert response.status_code == 401 and response.content == b""
        assert "WWW-Authenticate" not in response.headers  # Authorization failed, not authentication.
    assert get(sandbox, "/rest/v1/user/").status_code == 200
    assert ak_client.users_total() == 3
    ak_client.verify_credentials()
    # The root still accepts the login, so the client reads the bare 401 as a missing permission on that resource.
    with pytest.raises(errors.ActionKitForbidden) as refused:
        list(ak_client.usergroups())
    assert not isinstance(refused.value, errors.ActionKitUnauthorized) and refused.value.resource == "usergroup"
    assert "give the staff account permission to read usergroup" in refused.value.message


def test_a_401_with_a_basic_challenge_or_on_the_root_is_bad_credentials(sandbox, ak_client):
    sandbox.quirk("forbidden_resources", resources=["usergroup"])
    sandbox.inject("401")
    with pytest.raises(errors.ActionKitUnauthorized) as refused:
        list(ak_client.usergroups())  # The fault's 401 carries WWW-Authenticate: Basic, so no root check is made.
    assert not isinstance(refused.value, errors.ActionKitForbidden)


def test_it_refuses_unknown_quirks_and_an_empty_forbidden_list(sandbox):
    for body in ({"name": "no_such_quirk"}, {"name": "forbidden_resources", "on": True}):
        response = requests.post(f"{sandbox.base_url}/_sandbox/quirks", json=body, timeout=5)
        assert response.status_code == 400
    assert sandbox.quirk("forbidden_resources", resources=["page"]) == {"forbidden_resources": ["page"]}
    assert sandbox.quirk("forbidden_resources", on=False) == {}


# phone_field_writes_keep_updated_at --------------------------------------------------------------------------


def _write_phone_and_fields(sandbox, user_id: int) -> None:
    user_uri = f"/rest/v1/user/{user_id}/"
    phone = post(sandbox, "/rest/v1/phone/", {"user": user_uri, "phone_type": "mobile", "phone": "510-555-0199"})
    assert phone.status_code == 201
    assert post(sandbox, phone.headers["Location"], {"phone": "510-555-0100"}, "PATCH").status_code == 202
    field = post(sandbox, "/rest/v1/userfield/", {"user": user_uri, "name": "sms_opt_in", "value": "Yes"})
    assert field.status_code == 201
    assert post(sandbox, field.headers["Location"], {"value": "No"}, "PUT").status_code == 204


@pytest.mark.parametrize("quirk", [False, True], ids=["default", "quirk"])
def test_phone_and_userfield_writes_bump_user_updated_at_unless_quirk_is_on(sandbox, ak_client, quirk):
    if quirk:
        sandbox.quirk("phone_field_writes_keep_updated_at")
    user = sandbox.create_user("writes@example.org")
    time.sleep(1.1)  # The client's since-filter has whole seconds: start it after the second the user was made in.
    since = datetime.now(UTC)
    _write_phone_and_fields(sandbox, user["id"])
    after = ak_client.user_get(user["id"])
    assert (after["updated_at"] == user["updated_at"]) is quirk
    assert after["fields"] == {"sms_opt_in": "No"} and len(after["phones"]) == 1
    # With the quirk on, only the phone stream sees the change; a user poll does not.
    assert any(u["id"] == user["id"] for u in ak_client.users_updated_since(since)) is not quirk
    assert [p["user_id"] for p in ak_client.phones_updated_since(since)] == [user["id"]]


# usergroups_without_id ---------------------------------------------------------------------------------------


def test_the_client_takes_usergroup_ids_from_resource_uri_when_objects_have_none(sandbox, ak_client):
    sandbox.seed(users=4, usergroups=2)
    expected = [(g["id"], g["name"]) for g in ak_client.usergroups()]
    sandbox.quirk("usergroups_without_id")
    listed = get(sandbox, "/rest/v1/usergroup/").json()["objects"]
    assert listed and all("id" not in g and g["resource_uri"] for g in listed)
    assert "id" not in get(sandbox, listed[0]["resource_uri"]).json()
    assert [(g["id"], g["name"]) for g in ak_client.usergroups()] == expected
