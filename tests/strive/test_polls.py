"""The poll cursor: the overlap window, rows at the cursor's edge, crash and resume, one poll at a time, toggles."""

import sqlite3
from datetime import timedelta

import pytest

from integrations.models import Connection, Delivery, SyncCursor
from integrations.services.leases import lease
from strive.models import Member, MemberLink, ScannedUser
from strive.services import polls as poll_service
from strive.services.activation import strive_connect, sync_activate, sync_deactivate
from strive.services.members import member_update
from strive.services.polls import users_poll
from tests.strive.conftest import ak_patch_user, ak_user

pytestmark = pytest.mark.django_db(transaction=True)


def _set_updated_at(sandbox, user_id: int, stamp) -> None:
    """Backdate a row in the sandbox, as a change that committed late at ActionKit would look."""
    with sqlite3.connect(sandbox.db_path) as db:
        db.execute("UPDATE user SET updated_at = ? WHERE id = ?",
                   (stamp.replace(tzinfo=None).isoformat(timespec="microseconds"), user_id))


def test_a_change_at_the_cursor_edge_is_not_lost(members_connection, sandbox, cast):
    ak_user(sandbox, "first@example.org", phone="202-555-0101")
    sync_activate(connection=members_connection, actor=cast.alice)
    position = SyncCursor.objects.get(connection=members_connection, stream="users").position
    at_edge = ak_user(sandbox, "edge@example.org", phone="202-555-0102", first_name="Edge")
    late = ak_user(sandbox, "late@example.org", phone="202-555-0103", first_name="Late")
    _set_updated_at(sandbox, at_edge["id"], position)  # Exactly at the cursor.
    _set_updated_at(sandbox, late["id"], position - timedelta(seconds=30))  # Inside the overlap window.
    assert users_poll(connection_id=members_connection.pk).status == "done"
    assert set(Member.objects.filter(phone__in=["+12025550102", "+12025550103"]).values_list("first_name", flat=True)) == {
        "Edge", "Late"}


def test_rows_sharing_one_timestamp_across_pages_are_neither_lost_nor_repeated(members_connection, sandbox, cast, monkeypatch):
    monkeypatch.setattr(poll_service, "PAGE", 3)
    users = [ak_user(sandbox, f"tie{i}@example.org", phone=f"202-555-01{i:02d}") for i in range(10)]
    stamp = poll_service.ak_time("2026-01-01T00:00:00")
    for user in users:
        _set_updated_at(sandbox, user["id"], stamp)
    sync_activate(connection=members_connection, actor=cast.alice)
    assert ScannedUser.objects.filter(connection=members_connection, status="synced").count() == 10
    assert MemberLink.objects.filter(connection=members_connection).count() == 10


def test_a_crash_halfway_resumes_from_the_cursor(members_connection, sandbox, cast, monkeypatch):
    monkeypatch.setattr(poll_service, "PAGES_PER_TRANSACTION", 1)  # One page per transaction, so five of them.
    sandbox.seed(users=450)
    original, calls, finished = poll_service.users_sync_batch, {"n": 0}, []

    def crash_on_third(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker died")
        finished.extend(int(u["id"]) for u in kwargs["users"])
        return original(**kwargs)

    monkeypatch.setattr(poll_service, "users_sync_batch", crash_on_third)
    with pytest.raises(RuntimeError):
        sync_activate(connection=members_connection, actor=cast.alice)
    cursor = SyncCursor.objects.get(connection=members_connection, stream="users")
    scanned_after_crash = ScannedUser.objects.filter(connection=members_connection).exclude(status="pending").count()
    # Exactly the two finished pages were kept; the third rolled back with its cursor move.
    assert scanned_after_crash == len(set(finished)) > 150 and cursor.position is not None
    monkeypatch.setattr(poll_service, "users_sync_batch", original)
    assert users_poll(connection_id=members_connection.pk).status == "done"
    assert ScannedUser.objects.filter(connection=members_connection).exclude(status="pending").count() == 450
    synced = ScannedUser.objects.filter(connection=members_connection, status="synced").count()
    assert synced > 0 and MemberLink.objects.filter(connection=members_connection).count() == synced
    assert SyncCursor.objects.get(connection=members_connection, stream="users").position >= cursor.position


def test_never_two_polls_of_one_integration_at_once(members_connection, sandbox, cast):
    ak_user(sandbox, "one@example.org")
    members_connection.config = {**members_connection.config, "sync_accounts": True}
    members_connection.save()
    with lease(f"strive-users-poll:{members_connection.pk}", ttl_seconds=60) as held:
        assert held
        assert users_poll(connection_id=members_connection.pk).status == "busy"
    assert ScannedUser.objects.count() == 0
    assert users_poll(connection_id=members_connection.pk).status == "done"
    assert ScannedUser.objects.count() == 1


def test_sync_accounts_off_stops_everything_and_keeps_data_then_on_resumes(members_connection, sandbox, cast):
    user = ak_user(sandbox, "toggle@example.org", first_name="Tess")
    sync_activate(connection=members_connection, actor=cast.alice)
    member = Member.objects.get(phone="+12025550101")

    sync_deactivate(connection=members_connection, actor=cast.alice)
    members_connection.refresh_from_db()
    assert members_connection.status == Connection.Status.DISCONNECTED and members_connection.secrets == {}
    assert members_connection.config["sync_accounts"] is False
    assert Member.objects.filter(pk=member.pk).exists() and MemberLink.objects.filter(member=member).exists()
    ak_patch_user(sandbox, user["id"], last_name="Offline")
    assert users_poll(connection_id=members_connection.pk).status == "off"
    member_update(member=member, changes={"sms_opt_in": "opted_out"})
    assert not Delivery.objects.filter(connection=members_connection).exists()
    member.refresh_from_db()
    assert member.last_name == ""

    strive_connect(entity=cast.entity_a, host=sandbox.host, username=sandbox.username, password=sandbox.password,
                   actor=cast.alice)
    members_connection.refresh_from_db()
    assert members_connection.config["sync_accounts"] is False  # Reconnecting alone does not sync: the toggle must be on.
    sync_activate(connection=members_connection, actor=cast.alice)
    member.refresh_from_db()
    assert member.last_name == "Offline"
    assert MemberLink.objects.filter(connection=members_connection).count() == 1


def test_refused_credentials_halt_and_errors_resume_later(members_connection, sandbox, cast):
    ak_user(sandbox, "one@example.org")
    members_connection.config = {**members_connection.config, "sync_accounts": True}
    members_connection.save()
    sandbox.inject("500", count=1)
    assert users_poll(connection_id=members_connection.pk).status == "error"
    assert users_poll(connection_id=members_connection.pk).status == "done"
    assert ScannedUser.objects.filter(status="synced").count() == 1
    sandbox.inject("401", count=1)
    assert users_poll(connection_id=members_connection.pk).status == "halted"
    members_connection.refresh_from_db()
    assert members_connection.halted and "Reconnect" in members_connection.status_reason
    assert users_poll(connection_id=members_connection.pk).status == "off"


def test_poll_all_fans_out_to_active_integrations_only(members_connection, sandbox, cast):
    from strive.tasks import poll_all

    assert poll_all() == 0  # Connected, but Sync Accounts is off.
    sync_activate(connection=members_connection, actor=cast.alice)
    assert poll_all() == 1


@pytest.mark.parametrize(("per_minute", "size"), [(0, 100), (980, 98), (1000, 100), (4900, 100), (60, 60)])
def test_page_size_fills_the_budget(per_minute, size):
    assert poll_service.page_size(per_minute) == size


def test_pages_written_together_keep_only_the_newest_version_of_a_row_edited_mid_read():
    pages = [([{"id": 1, "v": "old"}, {"id": 2}], "after page 1"), ([{"id": 3}], "after page 2"),
             ([{"id": 1, "v": "new"}], "after page 3")]
    assert poll_service._joined(pages) == ([{"id": 1, "v": "new"}, {"id": 2}, {"id": 3}], "after page 3")


def test_a_sync_cut_into_short_tasks_reads_each_row_once_and_finishes(members_connection, sandbox, cast, monkeypatch):
    """Every task hands over after one group (a budget of 0 s); each continuation starts exactly where the last one
    stopped, not a whole overlap window back, although all ten rows share one second."""
    monkeypatch.setattr(poll_service, "PAGE", 3)
    monkeypatch.setattr(poll_service, "PAGES_PER_TRANSACTION", 1)
    users = [ak_user(sandbox, f"short{i}@example.org", phone=f"202-555-02{i:02d}") for i in range(10)]
    stamp = poll_service.ak_time("2026-01-01T00:00:00")
    for user in users:
        _set_updated_at(sandbox, user["id"], stamp)
    original, read = poll_service.users_sync_batch, []
    monkeypatch.setattr(poll_service, "users_sync_batch",
                        lambda **kw: (read.extend(int(u["id"]) for u in kw["users"]), original(**kw))[1])
    members_connection.config = {**members_connection.config, "sync_accounts": True}
    members_connection.save()
    statuses = []
    while "done" not in statuses and len(statuses) < 20:
        statuses.append(users_poll(connection_id=members_connection.pk, time_budget=0).status)
    assert statuses[-1] == "done" and len(statuses) > 3 and set(statuses[:-1]) == {"more"}, statuses
    assert sorted(read) == sorted(user["id"] for user in users)  # Each row once: no overlap re-read per task.
    assert MemberLink.objects.filter(connection=members_connection).count() == 10
    cursor = SyncCursor.objects.get(connection=members_connection, stream="users")
    assert cursor.state.get("initial_done") and "resume" not in cursor.state
