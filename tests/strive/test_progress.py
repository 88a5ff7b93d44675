"""The initial sync's progress card as the page shows it, step by step, and the backfill card before its plan is made."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Backfill, Connection, SyncCursor
from integrations.services.backfills import backfill_progress
from strive import selectors
from strive.models import ScannedUser
from tests.actblue.conftest import connect

pytestmark = pytest.mark.django_db


def _syncing(connection, *, total=2323, seconds=90):
    started = timezone.now() - timedelta(seconds=seconds)
    Connection.objects.filter(pk=connection.pk).update(config={**connection.config, "sync_accounts": True})
    connection.refresh_from_db()
    return SyncCursor.objects.create(connection=connection, stream="users",
                                     state={"total": total, "initial_started_at": started.isoformat()})


def _scanned(connection, count, status=ScannedUser.Status.PENDING, start=1):
    ScannedUser.objects.bulk_create(ScannedUser(connection=connection, ak_user_id=n, status=status)
                                    for n in range(start, start + count))


def test_the_phone_step_says_what_it_reads_and_how_far(members_connection):
    _syncing(members_connection)
    SyncCursor.objects.create(connection=members_connection, stream="phones", last_run_started_at=timezone.now())
    _scanned(members_connection, 1200)
    progress = selectors.sync_progress(connection=members_connection)
    assert progress["headline"] == "Step 1 of 2 · Reading phone numbers from ActionKit: 1,200 of ~2,323 users"
    assert progress["percent"] == 51 and progress["eta_text"].startswith("About ")


def test_the_users_step_begins_when_the_users_stream_does(members_connection):
    users = _syncing(members_connection)
    earlier = timezone.now() - timedelta(seconds=30)
    SyncCursor.objects.create(connection=members_connection, stream="phones", last_run_started_at=earlier)
    SyncCursor.objects.filter(pk=users.pk).update(last_run_started_at=timezone.now())
    _scanned(members_connection, 2000)
    progress = selectors.sync_progress(connection=members_connection)
    assert progress["headline"] == "Step 2 of 2 · Reading users from ActionKit: 0 of 2,323"
    assert progress["percent"] == 0 and progress["status_label"] == "Reading users"


def test_the_page_renders_the_same_words_as_the_json(cast, members_connection):
    _syncing(members_connection)
    _scanned(members_connection, 800, ScannedUser.Status.SYNCED)
    client = cast.client_for(cast.alice)
    page = client.get(reverse("strive:detail", kwargs={"entity_slug": cast.entity_a.slug})).content.decode()
    data = client.get(reverse("strive:progress", kwargs={"entity_slug": cast.entity_a.slug})).json()
    assert data["headline"] == "Step 2 of 2 · Reading users from ActionKit: 800 of 2,323"
    assert data["headline"] in page and data["eta_text"] in page and "about —" not in page
    assert 'aria-valuenow="34"' in page


@pytest.mark.django_db(transaction=True)  # The poll runs on commit, eagerly, before the message is chosen.
def test_turning_sync_on_for_a_list_that_syncs_at_once_says_it_finished(cast, members_connection, sandbox):
    page = cast.client_for(cast.alice).post(
        reverse("strive:sync-toggle", kwargs={"entity_slug": cast.entity_a.slug}), {"sync_accounts": "on"},
        follow=True).content.decode()
    assert "has already finished" in page and "has started" not in page and "Initial sync finished" in page


def test_a_backfill_being_planned_says_planning_not_zero_of_zero(cast):
    conn = Connection.objects.create(entity=cast.entity_a, kind="actblue", host="ak.example.org")
    planning = backfill_progress(Backfill.objects.create(connection=conn))
    assert (planning["headline"], planning["eta_text"]) == ("Planning…", "")
    running = backfill_progress(Backfill.objects.create(connection=conn, status="running", planned=2323, succeeded=1200,
                                                        planned_at=timezone.now() - timedelta(seconds=60)))
    assert running["headline"] == "1,200 of 2,323 sent (51%)." and running["eta_text"].startswith("About ")


def test_the_contributions_overview_does_not_say_not_sent_while_a_backfill_runs(cast):
    connection = connect(cast.entity_a)
    Backfill.objects.create(connection=connection, status="running", planned=10, succeeded=2)
    page = cast.client_for(cast.alice).get(reverse("actblue:detail", kwargs={"entity_slug": cast.entity_a.slug}))
    text = page.content.decode()
    assert "Being sent: see" in text and "Not sent yet." not in text and "2 of 10 sent (20%)." in text


def test_reconnecting_a_halted_sync_says_it_resumes_not_to_activate_it(cast, members_connection, sandbox):
    Connection.objects.filter(pk=members_connection.pk).update(
        config={**members_connection.config, "sync_accounts": True}, status=Connection.Status.ERROR, halted=True)
    page = cast.client_for(cast.alice).post(
        reverse("strive:connect", kwargs={"entity_slug": cast.entity_a.slug}),
        {"host": sandbox.host, "username": sandbox.username, "password": sandbox.password}, follow=True)
    text = page.content.decode()
    assert "Sync Accounts is still on" in text and "then activate the integration" not in text


def test_a_halted_sync_says_it_is_paused_and_why_without_a_time_left(members_connection):
    _syncing(members_connection)
    Connection.objects.filter(pk=members_connection.pk).update(halted=True, status=Connection.Status.ERROR)
    members_connection.refresh_from_db()
    progress = selectors.sync_progress(connection=members_connection)
    assert progress["status_label"] == "Paused" and progress["eta_text"] == ""
    assert progress["headline"] == ("Step 1 of 2 · Asking ActionKit for its phone numbers. Paused: ActionKit refused "
                                    "the credentials; reconnect to continue.")
