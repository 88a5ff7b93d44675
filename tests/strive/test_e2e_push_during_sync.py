"""End to end through real Celery workers against the sandbox over HTTP, with the sandbox enforcing the budget: a
member created while the initial sync reads pages ahead as fast as the budget allows reaches ActionKit within
seconds, in front of the poll's next read (issue #15). Without priority classes one queue would have placed the
push's requests after that read, which the limiter itself reports as the poll's reservation horizon."""

import time

import pytest

from actionkit.factory import planned_per_minute
from integrations.models import Connection, Delivery, SyncCursor
from integrations.ratelimit import BULK, LIVE, WINDOW_SECONDS, class_limit, default_backend, window_peak
from strive.models import Group
from strive.services.activation import settings_save, sync_activate
from strive.services.groups import group_add_member
from strive.services.members import MemberInput, member_upsert
from tests.plugins.worker import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

BUDGET = 300  # Records a minute, at the sandbox and on the connection: pages of 96, one every 20 s.
HORIZON_AT_LEAST = 12.0  # The push is made when the poll's next read is this many seconds away, or more.


def _next_read_in(connection) -> float:
    """Seconds until the poll's next page could start: the wait a bulk reservation would get now. A negative
    max_wait only asks; nothing is reserved."""
    _, wait, _ = default_backend().reserve(f"connection:{connection.pk}", 1, planned_per_minute(BUDGET),
                                          WINDOW_SECONDS, -1.0, BULK)
    return wait


def _initial_done(connection) -> bool:
    cursor = SyncCursor.objects.filter(connection=connection, stream="users").first()
    return bool(cursor and cursor.state.get("initial_done"))


def test_a_member_push_during_the_initial_sync_goes_in_front_of_the_poll(cast, sandbox, members_connection,
                                                                         celery_worker):
    sandbox.seed(users=2_000)
    sandbox.set_limits(per_minute=BUDGET, max_concurrent=4)
    Connection.objects.filter(pk=members_connection.pk).update(records_per_minute=BUDGET)
    members_connection.refresh_from_db()
    # One poll task for the whole test: a hand-over every TASK_BUDGET_SECONDS (15 s, shorter than a page's 20 s
    # here) would leave the budget partly idle, and this test needs the poll saturating it.
    celery_worker(queues="polls", concurrency=1, env={"TASK_BUDGET_SECONDS": "600"})
    celery_worker(queues="live,housekeeping", concurrency=1)
    settings_save(connection=members_connection, opt_in_field="sms_opt_in", phone_types=["mobile", "work", "home"],
                  create_users=True, actor=cast.alice)
    sync_activate(connection=members_connection, actor=cast.alice)
    activated = time.monotonic()
    served_before = sandbox.stats()

    # Past the first minute, so activation's own live requests have left every window, and just after a page
    # started, so the poll's next read is far ahead.
    horizon = wait_until(lambda: time.monotonic() - activated > WINDOW_SECONDS + 5 and (
        wait if (wait := _next_read_in(members_connection)) >= HORIZON_AT_LEAST else None),
        timeout=150, interval=0.25, message="the poll to be a page into its pacing")
    pushed_at = time.time()  # The limiter's clock: Redis TIME, or time.time() for the SQLite backend, this machine.
    key = f"connection:{members_connection.pk}"
    # The fullest window holding the push's start, counting the poll's reads already reserved ahead of it.
    bulk_reserved = window_peak([g for g in default_backend().grant_log(key, WINDOW_SECONDS) if g[2] == BULK],
                                pushed_at)
    primary = Group.objects.get(entity=cast.entity_a, kind=Group.Kind.PRIMARY)
    member, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="312-555-0161", email="during@example.org",
                                                                     first_name="Grace", sms_opt_in="opted_in"))
    group_add_member(group=primary, member=member, actor=cast.alice)
    created = wait_until(lambda: Delivery.objects.filter(source_id=member.pk, event_type="member.create",
                                                         status="succeeded").first(), timeout=60, message="the push")

    live_starts = [at for at, _, priority in default_backend().grant_log(key, WINDOW_SECONDS)
                   if priority == LIVE and at >= pushed_at]
    assert len(live_starts) >= 2  # The email lookup and the action.
    assert max(live_starts) < pushed_at + horizon  # Both in front of the read one queue would have put them behind.
    assert max(live_starts) - pushed_at < 10
    assert (created.delivered_at - created.created_at).total_seconds() < 10
    assert bulk_reserved >= 0.9 * class_limit(planned_per_minute(BUDGET), BULK)  # The poll held its whole share.
    assert not _initial_done(members_connection)  # Still mid-sync.
    assert sandbox.users(email="during@example.org")
    assert sandbox.stats()["429s_served"] == served_before["429s_served"] == 0
