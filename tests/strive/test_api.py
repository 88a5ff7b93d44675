"""The members API: per-entity API keys, E.164 upsert, 4xx with reasons for bad input, other entities are 404."""

import pytest
from rest_framework.test import APIClient

from strive.models import Group, Member

pytestmark = pytest.mark.django_db


def test_create_then_same_phone_in_another_format_updates(api, cast):
    first = api.post("/api/v1/members/", {"phone": "(202) 555-0101", "first_name": "Mary", "zip": "60601",
                                          "custom_fields": {"team": "north"}}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["phone"] == "+12025550101" and first.json()["state"] == "IL"
    second = api.post("/api/v1/members/", {"phone": "+1 202-555-0101", "last_name": "Smith"}, format="json")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert Member.objects.get(entity=cast.entity_a).last_name == "Smith"


@pytest.mark.parametrize("body", [
    {"phone": "12"}, {"first_name": "no phone"}, {"phone": "202-555-0101", "sms_opt_in": "sure"},
    {"phone": "202-555-0101", "email": "not-an-email"}, {"phone": "202-555-0101", "custom_fields": {"a": {"b": 1}}},
    {"phone": "202-555-0101", "custom_fields": "text"}, {"phone": ["202-555-0101"]},
])
def test_malformed_bodies_get_400_with_reasons(api, body):
    response = api.post("/api/v1/members/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"] and response.json()["errors"]
    assert not Member.objects.exists()


def test_not_json_and_no_key(api):
    assert api.post("/api/v1/members/", "{oops", content_type="application/json").status_code == 400
    assert APIClient().get("/api/v1/members/").status_code in (401, 403)
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer nope.nope")
    assert bad.get("/api/v1/members/").status_code == 401


def test_list_search_patch_and_other_entities(api, cast):
    mine = api.post("/api/v1/members/", {"phone": "202-555-0101", "first_name": "Mary", "source": "api"}, format="json").json()
    other = Member.objects.create(entity=cast.entity_b, phone="+12025550101", first_name="Theirs")
    listed = api.get("/api/v1/members/", {"q": "mary"}).json()
    assert [m["id"] for m in listed["results"]] == [mine["id"]]
    assert api.get(f"/api/v1/members/{other.pk}/").status_code == 404
    assert api.patch(f"/api/v1/members/{other.pk}/", {"first_name": "x"}, format="json").status_code == 404
    patched = api.patch(f"/api/v1/members/{mine['id']}/", {"first_name": "Mae", "phone": "415-555-0102"}, format="json")
    assert patched.status_code == 200 and patched.json()["first_name"] == "Mae"
    assert patched.json()["phone"] == "+12025550101"  # The phone is never changed.


def test_groups_api(api, cast):
    group = api.post("/api/v1/groups/", {"name": "Volunteers"}, format="json")
    assert group.status_code == 201 and group.json()["kind"] == "manual"
    member = api.post("/api/v1/members/", {"phone": "202-555-0101"}, format="json").json()
    added = api.post(f"/api/v1/groups/{group.json()['id']}/members/", {"member_id": member["id"]}, format="json")
    assert added.status_code == 201 and added.json()["groups"] == [group.json()["id"]]
    foreign = Group.objects.create(entity=cast.entity_b, name="Theirs")
    assert api.post(f"/api/v1/groups/{foreign.pk}/members/", {"member_id": member["id"]}, format="json").status_code == 404
    assert api.post(f"/api/v1/groups/{group.json()['id']}/members/", {"member_id": "x"}, format="json").status_code == 400
    assert api.get("/api/v1/groups/").json()["results"][0]["member_count"] == 1


@pytest.mark.parametrize("kind, source", [(Group.Kind.PAGE, "ActionKit page"), (Group.Kind.USERGROUP, "ActionKit user group")])
def test_adding_a_member_by_hand_to_a_group_the_sync_owns_is_refused(api, cast, kind, source):
    owned = Group.objects.create(entity=cast.entity_a, name="Spring rally", kind=kind)
    member = api.post("/api/v1/members/", {"phone": "202-555-0101"}, format="json").json()
    refused = api.post(f"/api/v1/groups/{owned.pk}/members/", {"member_id": member["id"]}, format="json")
    assert refused.status_code == 400, refused.content
    assert f"filled by the sync from its {source}" in str(refused.json()["errors"]["group"])
    assert not owned.memberships.exists()


def test_schema_documents_the_members_api(api):
    from django.test import Client

    schema = Client().get("/api/schema/").content.decode()
    assert "/api/v1/members/" in schema and "Create a member" in schema
