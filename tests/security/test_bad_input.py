"""Bad input never gives a 5xx: each case here was a 500 (or a 503 asking to be sent again) before its fix.

The page webhook's own cases are in tests/strive_activity/test_activity_webhook_bad_input.py.
"""

import io

import pytest
from rest_framework.exceptions import ParseError

from integrations.parsers import MAX_DEPTH, JSONParser, json_loads
from strive.models import Group, Member

pytestmark = pytest.mark.django_db

DEEP_LISTS = "[" * 100_000 + "]" * 100_000
DEEP_OBJECTS = '{"a":' * 100_000 + "1" + "}" * 100_000
JUST_PARSEABLE = "[" * 900 + "]" * 900  # json.loads takes it; whatever recurses over it next may not.
API_POSTS = ["/api/v1/actblue/contributions/", "/api/v1/actblue/refunds/", "/api/v1/actblue/cancellations/",
             "/api/v1/actblue/notifications/", "/api/v1/members/", "/api/v1/groups/"]


@pytest.mark.parametrize("body", [DEEP_LISTS, DEEP_OBJECTS, JUST_PARSEABLE], ids=["lists", "objects", "900-levels"])
@pytest.mark.parametrize("path", API_POSTS)
def test_a_deeply_nested_body_is_a_400_saying_so(api, path, body):
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"detail": "The body is nested too deeply."}


def test_a_deeply_nested_body_to_a_group_member_endpoint_is_a_400(api, cast):
    group = Group.objects.create(entity=cast.entity_a, name="Volunteers")
    response = api.post(f"/api/v1/groups/{group.pk}/members/", DEEP_OBJECTS, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"detail": "The body is nested too deeply."})


def test_the_parser_allows_the_nesting_real_bodies_have_and_refuses_more():
    parse = JSONParser().parse
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse(io.BytesIO(nested.encode()), "application/json", {}) is not None
    with pytest.raises(ParseError, match="nested too deeply"):
        parse(io.BytesIO(f"[{nested}]".encode()), "application/json", {})
    with pytest.raises(ParseError, match="JSON parse error"):  # Invalid JSON keeps DRF's own answer.
        parse(io.BytesIO(b"{oops"), "application/json", {})
    with pytest.raises(ValueError, match="nested too deeply"):
        json_loads(DEEP_LISTS)


@pytest.mark.parametrize("group", ["99999999999999999999999", str(2**63), "²", "٣", "abc", "-1", "0", "1.5"])
def test_a_group_filter_that_is_no_id_is_a_400_naming_it(api, cast, group):
    Member.objects.create(entity=cast.entity_a, phone="+12025550101")
    response = api.get("/api/v1/members/", {"group": group})
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "Invalid input." and list(response.json()["errors"]) == ["group"]


def test_a_group_filter_still_filters_and_blank_is_no_filter(api, cast):
    group = Group.objects.create(entity=cast.entity_a, name="Volunteers")
    member = Member.objects.create(entity=cast.entity_a, phone="+12025550101")
    Member.objects.create(entity=cast.entity_a, phone="+12025550102")
    group.memberships.create(member=member)
    assert [m["id"] for m in api.get("/api/v1/members/", {"group": group.pk}).json()["results"]] == [member.pk]
    assert api.get("/api/v1/members/", {"group": str(2**63 - 1)}).json()["count"] == 0  # In range: just no match.
    assert api.get("/api/v1/members/", {"group": ""}).json()["count"] == 2


@pytest.mark.parametrize("name", ["q", "source", "group"])
def test_a_nul_byte_in_a_query_parameter_is_a_400_naming_it(api, name):
    response = api.get(f"/api/v1/members/?{name}=a%00b")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {name: ["Null characters are not allowed."]}


@pytest.mark.parametrize("query", ["page=%C2%B2", "page=99999999999999999999", "q=%FF%FE", "q=%ED%A0%80"])
def test_odd_pages_and_bytes_that_are_not_utf8_in_the_query_never_500(api, query):
    response = api.get(f"/api/v1/members/?{query}")
    assert response.status_code in (200, 404), response.content
    assert response.json()


@pytest.mark.parametrize("path", ["/api/v1/members/99999999999999999999999/", f"/api/v1/members/{'9' * 5000}/"])
def test_an_object_id_past_the_integer_range_is_a_404(api, path):
    response = api.get(path)
    assert response.status_code == 404 and response.json()["detail"]


def test_a_member_id_past_the_integer_range_is_a_404(api, cast):
    group = Group.objects.create(entity=cast.entity_a, name="Volunteers")
    response = api.post(f"/api/v1/groups/{group.pk}/members/", {"member_id": 10**30}, format="json")
    assert response.status_code == 404 and response.json()["detail"]
