"""``/rest/v1/<resource>/schema/``: every schema the root advertises answers in tastypie's ``build_schema`` shape."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e
SCHEMA_KEYS = {
    "fields",
    "default_format",
    "allowed_list_http_methods",
    "allowed_detail_http_methods",
    "default_limit",
    "filtering",
    "ordering",
}
FIELD_KEYS = {"type", "nullable", "readonly", "help_text", "blank", "default", "unique"}
TYPES = {"string", "integer", "float", "boolean", "datetime", "dict", "list", "related"}


@pytest.fixture(scope="module")
def sandbox(ak_sandbox):
    ak_sandbox.reset()
    ak_sandbox.seed(users=3, pages=2, actions=4, usergroups=1)
    ak_sandbox.create_page("schema-import")
    yield ak_sandbox
    ak_sandbox.reset()


def get(sandbox, path: str) -> requests.Response:
    return requests.get(f"{sandbox.base_url}{path}", auth=(sandbox.username, sandbox.password), timeout=5)


def test_every_schema_the_root_advertises_answers(sandbox):
    root = get(sandbox, "/rest/v1/").json()
    assert {"user", "phone", "page", "action", "importpage", "usergroup"} <= set(root)
    for name, links in root.items():
        body = get(sandbox, links["schema"]).json()
        assert set(body) == SCHEMA_KEYS, name
        assert body["default_format"] == "application/json" and body["default_limit"] == 20
        assert "get" in body["allowed_list_http_methods"] and "get" in body["allowed_detail_http_methods"]
        for field, spec in body["fields"].items():
            assert FIELD_KEYS <= set(spec) and spec["type"] in TYPES, (name, field)
            assert ("related_type" in spec) is (spec["type"] == "related"), (name, field)


def test_the_user_schema_describes_users_as_tastypie_would(sandbox):
    body = get(sandbox, "/rest/v1/user/schema/").json()
    fields = body["fields"]
    assert fields["email"] == {
        "default": "No default provided.",
        "type": "string",
        "nullable": False,
        "blank": False,
        "readonly": False,
        "help_text": 'Unicode string data. Ex: "Hello World"',
        "unique": True,
        "primary_key": False,
        "verbose_name": "email",
    }
    assert fields["updated_at"]["type"] == "datetime" and fields["id"]["primary_key"]
    assert fields["fields"]["type"] == "dict" and fields["resource_uri"]["readonly"]
    assert (fields["phones"]["type"], fields["phones"]["related_type"]) == ("related", "to_many")
    assert body["filtering"]["updated_at"] == ["gte", "gt", "lte"] and body["filtering"]["email"] == ["exact"]
    assert "updated_at" in body["ordering"]
    assert body["allowed_list_http_methods"] == ["get", "post"]
    assert body["allowed_detail_http_methods"] == ["get", "delete", "patch", "put"]


@pytest.mark.parametrize("name", ["user", "phone", "page", "importpage", "action", "usergroup"])
def test_the_schema_names_every_key_of_a_real_object(sandbox, name):
    objects = get(sandbox, f"/rest/v1/{name}/?_limit=5").json()["objects"]
    assert objects, name
    fields = get(sandbox, f"/rest/v1/{name}/schema/").json()["fields"]
    assert all(set(obj) == set(fields) for obj in objects)


def test_a_schema_is_read_only_and_unknown_resources_have_none(sandbox):
    url = f"{sandbox.base_url}/rest/v1/user/schema/"
    assert requests.post(url, json={}, auth=(sandbox.username, sandbox.password), timeout=5).status_code == 405
    assert get(sandbox, "/rest/v1/nosuchthing/schema/").status_code == 404
    assert requests.get(url, timeout=5).status_code == 401
