"""Tenant isolation for the DRF API: a key of entity B never reads or writes entity A's objects.

Every API route must have a case in CASES, so a new endpoint fails this suite until its isolation is tested
(the same rule as tests/integrations/test_tenant_isolation.py for pages).
"""

import json

import pytest

from integrations.services.api_keys import api_credential_create
from tests.security.urlwalk import all_patterns

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    from actblue.services.ledger import contribution_record
    from actblue.services.profile import actblue_identity_set
    from strive.models import Group, GroupMembership, Member
    from tests.actblue.payloads import ENTITY_A_ID, ENTITY_B_ID, contribution

    actblue_identity_set(entity=cast.entity_a, entity_ids=[ENTITY_A_ID])
    actblue_identity_set(entity=cast.entity_b, entity_ids=[ENTITY_B_ID])
    member = Member.objects.create(entity=cast.entity_a, phone="+12025550101", email="a-member@example.org",
                                   first_name="Ada")
    group = Group.objects.create(entity=cast.entity_a, name="A's volunteers")
    GroupMembership.objects.create(group=group, member=member)
    body = contribution(lineitem_id=777001, order="AB-A-ORDER", recipients=(ENTITY_A_ID,))
    contribution_record(entity=cast.entity_a, data=_validated(body))
    _, key_b = api_credential_create(entity=cast.entity_b, name="b", actor=None)
    from django.utils import timezone

    return {"cast": cast, "member": member, "group": group, "body": body, "key_b": key_b, "started": timezone.now()}


def _validated(body: dict) -> dict:
    from actblue.serializers import ContributionNotificationSerializer

    serializer = ContributionNotificationSerializer(data=body)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _snapshot(world) -> str:
    """Everything of entity A that B might touch, as one comparable string."""
    from actblue.models import Cancellation, Contribution, LineItem, Refund
    from strive.models import Group, GroupMembership, Member

    entity = world["cast"].entity_a
    parts = [
        list(Member.objects.filter(entity=entity).values()),
        list(Group.objects.filter(entity=entity).values()),
        list(GroupMembership.objects.filter(group__entity=entity).values("group_id", "member_id")),
        list(Contribution.objects.filter(entity=entity).values()),
        list(LineItem.objects.filter(contribution__entity=entity).values()),
        Refund.objects.filter(line_item__contribution__entity=entity).count(),
        Cancellation.objects.filter(contribution__entity=entity).count(),
    ]
    return json.dumps(parts, default=str, sort_keys=True)


def _members_list(api, world):
    body = api.get("/api/v1/members/").json()
    ids = {row["id"] for row in body.get("results", body if isinstance(body, list) else [])}
    assert world["member"].pk not in ids
    created = api.post("/api/v1/members/", {"phone": world["member"].phone, "first_name": "Mallory"}, content_type="application/json")
    assert created.status_code in (200, 201, 400), created.content  # Creates B's own member, or refuses.
    assert "Ada" not in created.content.decode() and "a-member@example.org" not in created.content.decode()


def _member_detail(api, world):
    url = f"/api/v1/members/{world['member'].pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"first_name": "Mallory"}, content_type="application/json").status_code == 404
    assert api.put(url, {"first_name": "Mallory"}, content_type="application/json").status_code in (404, 405)


def _groups_list(api, world):
    text = api.get("/api/v1/groups/").content.decode()
    assert world["group"].name not in text


def _group_members(api, world):
    url = f"/api/v1/groups/{world['group'].pk}/members/"
    assert api.post(url, {"member_id": world["member"].pk}, content_type="application/json").status_code == 404
    own = api.post("/api/v1/groups/", {"name": "B's group"}, content_type="application/json").json()
    response = api.post(f"/api/v1/groups/{own['id']}/members/", {"member_id": world["member"].pk},
                        content_type="application/json")
    assert response.status_code == 404  # A's member cannot be pulled into B's group.


def _actblue(kind: str):
    def case(api, world):
        from tests.actblue.payloads import cancellation, contribution, refund

        build = {"contributions": contribution, "refunds": refund, "cancellations": cancellation,
                 "notifications": refund}[kind]
        from actblue.models import LineItem
        from integrations.models import Delivery
        from tests.actblue.payloads import ENTITY_A_ID

        body = build(lineitem_id=777001, order="AB-A-ORDER", recipients=(ENTITY_A_ID,))
        response = api.post(f"/api/v1/actblue/{kind}/", body, content_type="application/json")
        # A's numbers are only B's own claims: recorded in B's ledger (or refused), never matched against A's.
        assert response.status_code in (200, 201, 400), (kind, response.status_code, response.content)
        assert "another" not in response.content.decode() and "mary@example.com" not in response.content.decode()
        if response.status_code in (200, 201):
            assert LineItem.objects.filter(entity=world["cast"].entity_b, lineitem_id=777001).exists()
        assert not Delivery.objects.exclude(connection__entity=world["cast"].entity_b).filter(
            created_at__gte=world["started"]).exists()
    return case


CASES = {
    "strive-api:members": _members_list,
    "strive-api:member": _member_detail,
    "strive-api:groups": _groups_list,
    "strive-api:group-members": _group_members,
    "actblue-api:contributions": _actblue("contributions"),
    "actblue-api:refunds": _actblue("refunds"),
    "actblue-api:cancellations": _actblue("cancellations"),
    "actblue-api:notifications": _actblue("notifications"),
}


def test_every_api_route_has_an_isolation_case():
    routes = {name for route, name, _ in all_patterns() if route.startswith("api/v1/")}
    assert routes, "no API routes found"
    missing = routes - set(CASES)
    assert not missing, f"Add an isolation case for these API routes to tests/security/test_api_isolation.py: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_key_of_another_entity_never_reads_or_writes_these_objects(world, client, name):
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {world['key_b']}")
    before = _snapshot(world)
    CASES[name](api, world)
    assert _snapshot(world) == before, f"{name}: entity A's objects changed through entity B's key"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_revoked_or_forged_key_gets_401(world, name):
    from django.test import Client

    from integrations.models import ApiCredential
    from integrations.services.api_keys import api_credential_revoke

    credential = ApiCredential.objects.get(entity=world["cast"].entity_b)
    api_credential_revoke(credential=credential, actor=None)
    route = next(route for route, n, _ in all_patterns() if n == name)
    url = "/" + route.replace("<int:pk>", "1").replace("<int:group_id>", "1")
    prefix = world["key_b"].split(".")[0]
    for header in (f"Bearer {world['key_b']}", f"Bearer {prefix}.forged-secret", "Bearer nodot", "Basic abc"):
        response = Client(HTTP_AUTHORIZATION=header).post(url, {}, content_type="application/json")
        assert response.status_code == 401, (url, header, response.status_code)
        assert response.json().get("detail")
