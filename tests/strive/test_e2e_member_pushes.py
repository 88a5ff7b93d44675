"""End to end through a real Celery worker against the sandbox over HTTP: a member added to the primary group with
Create Users on gets its ActionKit user within seconds, and the member's next edit (before any poll has seen the new
user) reaches ActionKit with the user's email instead of failing for good on an empty one."""

import pytest

from integrations.models import Delivery, SyncCursor
from strive.models import Group, MemberLink, ScannedUser
from strive.services.activation import settings_save, sync_activate
from strive.services.groups import group_add_member
from strive.services.members import MemberInput, member_update, member_upsert
from tests.plugins.worker import wait_until
from tests.strive.conftest import ak_get_user, ak_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def _delivered(member, event_type):
    return Delivery.objects.filter(source_id=member.pk, event_type=event_type, status="succeeded").first()


def test_create_users_then_an_edit_through_a_worker(cast, sandbox, members_connection, celery_worker):
    ak_user(sandbox, "someone@example.org")
    celery_worker(concurrency=2, env={"ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE": "0"})
    settings_save(connection=members_connection, opt_in_field="sms_opt_in", phone_types=["mobile", "work", "home"],
                  create_users=True, actor=cast.alice)
    sync_activate(connection=members_connection, actor=cast.alice)
    wait_until(lambda: (SyncCursor.objects.filter(connection=members_connection, stream="users").first() or SyncCursor()).state
               .get("initial_done"), timeout=60, message="the initial sync")

    primary = Group.objects.get(entity=cast.entity_a, kind=Group.Kind.PRIMARY)
    member, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="312-555-0160", email="fresh@example.org",
                                                                     first_name="Ada", sms_opt_in="opted_in"))
    group_add_member(group=primary, member=member, actor=cast.alice)
    created = wait_until(lambda: _delivered(member, "member.create"), timeout=20, message="the ActionKit user")
    assert (created.delivered_at - created.created_at).total_seconds() < 5, "Create Users took more than seconds"
    link = MemberLink.objects.get(member=member)
    assert sandbox.users(email="fresh@example.org")[0]["id"] == link.ak_user_id
    assert not ScannedUser.objects.filter(ak_user_id=link.ak_user_id).exists()  # No poll has read the new user yet.

    member_update(member=member, changes={"sms_opt_in": "opted_out"}, actor=cast.alice)
    pushed = wait_until(lambda: _delivered(member, "member.update") or Delivery.objects.filter(
        source_id=member.pk, event_type="member.update", status="dead").first(), timeout=20, message="the edit")
    assert pushed.status == "succeeded", pushed.last_error
    assert pushed.payload["email"] == "fresh@example.org" and (pushed.delivered_at - pushed.created_at).total_seconds() < 5
    assert ak_get_user(sandbox, link.ak_user_id)["fields"]["sms_opt_in"] == "false"
