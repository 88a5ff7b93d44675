"""Polls and page imports cut into short tasks: each task stops after its budget, the next goes on exactly where it
stopped (not a whole overlap window back), and the chain ends with everything read once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.budget import OutOfTime
from integrations.models import SyncCursor
from strive.activity.models import Action, Page, Usergroup
from strive.activity.services import pages as pages_service
from strive.activity.services.pages import page_import
from strive.activity.services.poll import poll_connection
from strive.activity.services.usergroups import usergroup_sync, usergroups_refresh
from tests.fakes.actionkit import BASE


def _until_done(step, limit: int = 30) -> int:
    for runs in range(1, limit + 1):
        if not step():
            return runs
    raise AssertionError(f"still handing over after {limit} tasks")


@pytest.mark.django_db
def test_a_poll_that_runs_out_of_time_goes_on_where_it_stopped(activity_connection, fake_ak, monkeypatch):
    monkeypatch.setattr(pages_service, "BATCH", 2)
    for pk in range(1, 8):  # Seven pages within one minute: all inside the five-minute overlap window.
        fake_ak.add_page(pk, f"page-{pk}", minutes=pk / 10)
    runs = _until_done(lambda: (poll_connection(connection_id=activity_connection.pk, client=fake_ak, time_budget=0)
                                or {}).get("more"))
    # Batches of 2: the first task takes two pages, each continuation re-reads the one at its cursor (the listing is
    # updated_at >= since) and takes one more. Without the hand-over marker each would read from five minutes back.
    assert runs == 7 and Page.objects.filter(connection=activity_connection).count() == 7
    reads = [call[len("pages since "):][:19] for call in fake_ak.calls if call.startswith("pages since")]
    assert reads == ["None"] + [f"2026-01-01 00:00:{6 * pk:02d}" for pk in range(2, 8)]
    cursor = SyncCursor.objects.get(connection=activity_connection, stream="pages")
    assert "resume" not in cursor.state and cursor.last_run_finished_at is not None


@pytest.mark.django_db
def test_a_page_import_cut_into_short_tasks_imports_every_action_once(activity_connection, synced_page, fake_ak, monkeypatch):
    monkeypatch.setattr(pages_service, "BATCH", 2)
    fake_ak.add_user(1)
    for pk in range(1, 6):
        fake_ak.add_action(pk, page=10, user=1, created=BASE + timedelta(seconds=pk))
    fake_ak.calls.clear()

    def step() -> bool:
        try:
            page_import(page_id=synced_page.pk, client=fake_ak, deadline=0)  # Always out of time.
        except OutOfTime:
            return True
        return False

    assert _until_done(step) == 5  # Two, then one more per task (the listing repeats the one at the cursor).
    page = Page.objects.get(pk=synced_page.pk)
    assert (page.import_status, page.imported_actions) == ("done", 5)  # The repeats are not counted twice.
    assert Action.objects.filter(connection=activity_connection).count() == 5
    reads = [call.split(" on ")[0][len("actions since "):] for call in fake_ak.calls if call.startswith("actions since")]
    assert reads == ["None"] + [f"2026-01-01 00:00:0{pk}+00:00" for pk in range(2, 6)]
    assert not SyncCursor.objects.filter(stream__startswith="page-import:").exists()


@pytest.mark.django_db
def test_usergroups_are_refreshed_one_per_task_when_out_of_time(activity_connection, fake_ak, cast, monkeypatch):
    for pk in (40, 41, 42):
        fake_ak.groups[pk] = f"Group {pk}"
    usergroups_refresh(connection=activity_connection, client=fake_ak)
    for usergroup in Usergroup.objects.all():
        usergroup_sync(usergroup=usergroup, actor=cast.alice)
    Usergroup.objects.update(refreshed_at=None)
    refreshed = []
    monkeypatch.setattr("strive.activity.services.usergroups.usergroup_members_refresh",
                        lambda *, usergroup, client: refreshed.append(usergroup.ak_id))

    def step() -> bool:
        try:
            usergroups_refresh(connection=activity_connection, client=fake_ak, deadline=0)
        except OutOfTime:
            Usergroup.objects.filter(ak_id=refreshed[-1]).update(refreshed_at=timezone.now())  # As the real refresh does.
            return True
        return False

    assert _until_done(step) == 3
    assert refreshed == [40, 41, 42]  # Each once, although every task starts over from the list.
    assert "resume" not in SyncCursor.objects.get(connection=activity_connection, stream="usergroups").state
