"""Fault cases for the member sync (issue 15, repro 2), through a real worker and the sandbox: a member added with
Create Users on gets its user within seconds, its next edit is sent with the user's email, and an edit that fails for
good reads "Not synced" with a Retry on the member page (never "Synced") until the Retry delivers it."""

import pytest
from django.urls import reverse

from tests.faults.conftest import RESULTS, FaultResult
from tests.plugins.worker import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def members_sync(ak_sandbox, cast, settings):
    from actionkit.factory import clients_clear
    from strive.services.activation import settings_save, strive_connect

    ak_sandbox.reset()
    ak_sandbox.set_limits(per_minute=0, max_concurrent=0)
    clients_clear()
    settings.ACTIONKIT_INSECURE_HOSTS = list({*settings.ACTIONKIT_INSECURE_HOSTS, ak_sandbox.host})
    connection = strive_connect(entity=cast.entity_a, host=ak_sandbox.host, username=ak_sandbox.username,
                                password=ak_sandbox.password, actor=cast.alice)
    settings_save(connection=connection, opt_in_field="sms_opt_in", phone_types=["mobile", "work", "home"],
                  create_users=True, actor=cast.alice)
    yield connection
    clients_clear()


def _push(member, event_type, statuses=("succeeded", "dead")):
    from integrations.models import Delivery

    return Delivery.objects.filter(source_id=member.pk, event_type=event_type, status__in=statuses).first()


def test_member_edit_fails_for_good_then_retry_from_the_member_page(members_sync, ak_sandbox, cast, fault_worker):
    from integrations.models import SyncCursor
    from strive.models import Group, MemberLink
    from strive.services.activation import sync_activate
    from strive.services.groups import group_add_member
    from strive.services.members import MemberInput, member_update, member_upsert

    fault_worker(env={"ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE": "0", "DELIVERY_MAX_ATTEMPTS": "2"})
    sync_activate(connection=members_sync, actor=cast.alice)
    wait_until(lambda: (SyncCursor.objects.filter(connection=members_sync, stream="users").first() or SyncCursor())
               .state.get("initial_done"), timeout=60, message="the initial sync")
    primary = Group.objects.get(entity=cast.entity_a, kind=Group.Kind.PRIMARY)
    member, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="312-555-0170", email="fault@example.org",
                                                                     sms_opt_in="opted_in"))
    group_add_member(group=primary, member=member, actor=cast.alice)
    created = wait_until(lambda: _push(member, "member.create"), timeout=20, message="the create")
    assert created.status == "succeeded" and (created.delivered_at - created.created_at).total_seconds() < 5
    user_id = MemberLink.objects.get(member=member).ak_user_id

    ak_sandbox.inject("503", count=2)  # Every try of the next edit: it fails for good.
    member_update(member=member, changes={"sms_opt_in": "opted_out"}, actor=cast.alice)
    edit = wait_until(lambda: _push(member, "member.update"), timeout=30, message="the edit to give up")
    assert edit.status == "dead" and edit.attempts == 2 and edit.payload["email"] == "fault@example.org"
    client = cast.client_for(cast.alice)
    member_url = reverse("strive:member", kwargs={"entity_slug": cast.entity_a.slug, "member_id": member.pk})
    page = client.get(member_url).content.decode()
    assert "Not synced: sending to ActionKit failed." in page and "Synced with ActionKit user" not in page

    client.post(reverse("strive:member-push-retry", kwargs={"entity_slug": cast.entity_a.slug, "member_id": member.pk,
                                                            "delivery_id": edit.pk}))
    wait_until(lambda: _push(member, "member.update", ("succeeded",)), timeout=30, message="the retried edit")
    users = ak_sandbox.users(email="fault@example.org")  # What ActionKit holds: one user, with the edit.
    delivered = int([u["id"] for u in users] == [user_id] and ak_sandbox.http.get(
        f"{ak_sandbox.base_url}/rest/v1/user/{user_id}/", auth=(ak_sandbox.username, ak_sandbox.password),
        timeout=10).json()["fields"]["sms_opt_in"] == "false")
    RESULTS.append(FaultResult(fault="member edit failed for good, then Retry", injected="2 x 503", expected=1,
                               delivered=delivered, duplicated=max(0, len(users) - 1), lost=1 - delivered, resent=0))
    assert delivered == 1
    page = client.get(member_url).content.decode()
    assert "Not synced" not in page and f"Synced with ActionKit user {user_id}" in page
