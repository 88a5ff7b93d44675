"""The user sync against the sandbox, through the services (tasks run inline)."""

import json

import pytest

from integrations.models import Delivery
from strive.models import Group, Member, MemberLink, ScannedUser
from strive.services.activation import settings_save, sync_activate
from strive.services.members import MemberInput, member_update, member_upsert
from strive.services.polls import users_poll
from tests.strive.conftest import ak_get_user, ak_patch_user, ak_user

pytestmark = pytest.mark.django_db(transaction=True)


def _activate(connection, cast):
    settings_save(connection=connection, opt_in_field="sms_opt_in", phone_types=["mobile", "work", "home"],
                  create_users=False, actor=cast.alice)
    return sync_activate(connection=connection, actor=cast.alice)


def test_activation_creates_primary_group_and_syncs_eligible_users(members_connection, sandbox, cast):
    ok = ak_user(sandbox, "ok@example.org", first_name="Ok", zip="90210")
    no_phone = ak_user(sandbox, "nophone@example.org", phone=None)
    no_opt = ak_user(sandbox, "noopt@example.org", phone="415-555-0110", opt_in=None)
    _activate(members_connection, cast)

    group = Group.objects.get(entity=cast.entity_a, kind=Group.Kind.PRIMARY)
    assert group.name == "ActionKit Integration"
    member = Member.objects.get(entity=cast.entity_a, phone="+12025550101")
    assert (member.first_name, member.email, member.sms_opt_in, member.state) == ("Ok", "ok@example.org", "opted_in", "CA")
    assert group.memberships.filter(member=member).exists()
    statuses = dict(ScannedUser.objects.values_list("ak_user_id", "status"))
    assert statuses == {ok["id"]: "synced", no_phone["id"]: "skipped", no_opt["id"]: "skipped"}
    assert "phone" in ScannedUser.objects.get(ak_user_id=no_phone["id"]).reason.lower()
    assert "opt-in" in ScannedUser.objects.get(ak_user_id=no_opt["id"]).reason.lower()


def test_initial_sync_opt_in_conflict_member_wins_and_is_written_back(members_connection, sandbox, cast):
    member, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="(202) 555-0101", sms_opt_in="opted_out"))
    user = ak_user(sandbox, "conflict@example.org", opt_in="yes")
    _activate(members_connection, cast)
    member.refresh_from_db()
    assert member.sms_opt_in == "opted_out"
    assert ak_get_user(sandbox, user["id"])["fields"]["sms_opt_in"] == "false"
    delivery = Delivery.objects.get(connection=members_connection, event_type="member.update")
    assert delivery.status == "succeeded"
    assert delivery.payload["former_data"] == {"sms_opt_in": "yes"}
    actions = sandbox.http.get(f"{sandbox.base_url}/rest/v1/action/", params={"user": user["id"]},
                               auth=(sandbox.username, sandbox.password), timeout=10).json()["objects"]
    fields = max(actions, key=lambda a: a["id"])["fields"]  # Recorded on the integration's import page by action processing.
    assert fields["strive_member"] == str(member.pk) and json.loads(fields["former_data"]) == {"sms_opt_in": "yes"}


def test_changes_on_each_side_and_no_echo(members_connection, sandbox, cast):
    user = ak_user(sandbox, "two@example.org", first_name="Ann")
    _activate(members_connection, cast)
    member = Member.objects.get(phone="+12025550101")
    # ActionKit side: a new last name populates ours; a first name change does not overwrite (populate, no overwrite).
    ak_patch_user(sandbox, user["id"], last_name="Lee", first_name="Annie")
    users_poll(connection_id=members_connection.pk)
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Ann", "Lee")
    # Our side: an opt-out is pushed as "false".
    member_update(member=member, changes={"sms_opt_in": "opted_out"})
    assert ak_get_user(sandbox, user["id"])["fields"]["sms_opt_in"] == "false"
    pushes = Delivery.objects.filter(connection=members_connection).count()
    users_poll(connection_id=members_connection.pk)  # Reads back our own write: no new push, no change.
    users_poll(connection_id=members_connection.pk)
    assert Delivery.objects.filter(connection=members_connection).count() == pushes
    member.refresh_from_db()
    assert member.sms_opt_in == "opted_out"
    assert MemberLink.objects.get(member=member).ak_user_id == user["id"]


def test_create_users_adding_to_the_primary_group_creates_the_ak_user(members_connection, sandbox, cast):
    from strive.services.groups import group_add_member

    ak_user(sandbox, "taken@example.org", phone="415-555-0199")
    settings_save(connection=members_connection, opt_in_field="sms_opt_in", phone_types=["mobile", "work", "home"],
                  create_users=True, actor=cast.alice)
    sync_activate(connection=members_connection, actor=cast.alice)
    primary = Group.objects.get(entity=cast.entity_a, kind=Group.Kind.PRIMARY)
    new, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="312-555-0150", email="new@example.org",
                                                                  first_name="Nia", sms_opt_in="opted_in"))
    no_email, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="312-555-0151"))
    taken, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="312-555-0152", email="taken@example.org"))
    unseen, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="312-555-0153", email="Taken@Example.org "))
    for member in (new, no_email, taken):
        group_add_member(group=primary, member=member, actor=cast.alice)

    created = sandbox.users(email="new@example.org")[0]
    assert created["first_name"] == "Nia"
    assert ak_get_user(sandbox, created["id"])["fields"]["sms_opt_in"] == "true"
    assert MemberLink.objects.get(member=new).ak_user_id == created["id"]
    no_email.refresh_from_db()
    taken.refresh_from_db()
    assert "no email" in no_email.ak_sync_error
    assert "already has a user with the email taken@example.org" in taken.ak_sync_error
    # The poll then sees the new user (matched by its link) and does not create a second member.
    users_poll(connection_id=members_connection.pk)
    assert Member.objects.filter(entity=cast.entity_a, phone="+13125550150").count() == 1
    assert ScannedUser.objects.get(ak_user_id=created["id"]).status == "synced"
    # A user ActionKit has that we never scanned is caught when sending (the lookup by email).
    ScannedUser.objects.filter(email="taken@example.org").delete()
    group_add_member(group=primary, member=unseen, actor=cast.alice)
    unseen.refresh_from_db()
    assert "already has a user" in unseen.ak_sync_error
    assert Delivery.objects.get(source_id=unseen.pk).status == "dead"


def test_bad_user_data_is_an_error_on_the_users_tab_and_the_page_still_syncs(members_connection, cast):
    from strive.services.sync import users_sync_batch

    members_connection.config = {**members_connection.config, "sync_accounts": True}
    members_connection.save()
    good = {"id": 7, "email": "g@example.org", "fields": {"sms_opt_in": "yes"}, "updated_at": "2026-01-01T00:00:00"}
    bad = {"id": 8, "email": "b@example.org", "fields": ["not", "an", "object"], "updated_at": "2026-01-01T00:00:00"}
    phones = {7: [{"id": 1, "type": "mobile", "phone": "202-555-0107"}], 8: [{"id": 2, "type": "mobile", "phone": "202-555-0108"}]}
    result = users_sync_batch(connection=members_connection, users=[good, bad], phones=phones)
    assert result.synced == 1
    statuses = dict(ScannedUser.objects.values_list("ak_user_id", "status"))
    assert statuses == {7: "synced", 8: "error"}
    assert "Could not read this user" in ScannedUser.objects.get(ak_user_id=8).reason
