"""Polls: every page first, then only updated ones; actions reconciled with the webhook, never processed twice."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from integrations.models import SyncCursor
from strive.activity.models import Action, AutomationRun, OutboxMessage, Page
from strive.activity.services.automations import automation_save
from strive.activity.services.poll import poll_connection
from strive.activity.services.webhooks import webhook_path
from strive.activity.tasks import poll_all


@pytest.mark.django_db
def test_it_pulls_every_page_then_only_updated_ones(activity_connection, fake_ak):
    fake_ak.add_page(1, "old-page", minutes=0)
    fake_ak.add_page(2, "another", minutes=10)
    assert poll_connection(connection_id=activity_connection.pk, client=fake_ak)["pages"] == 2
    assert fake_ak.calls[0] == "pages since None"
    fake_ak.add_page(2, "another", minutes=30, title="Renamed")
    fake_ak.calls.clear()
    result = poll_connection(connection_id=activity_connection.pk, client=fake_ak)
    assert fake_ak.calls[0].startswith("pages since 2026-01-01 00:05:00")  # Cursor (00:10) minus the overlap.
    assert result["pages"] == 1
    assert Page.objects.get(ak_id=2).title == "Renamed"
    assert SyncCursor.objects.get(connection=activity_connection, stream="pages").last_run_finished_at is not None


@pytest.mark.django_db
def test_it_reconciles_what_the_webhook_missed_without_processing_anything_twice(
        client, activity_connection, synced_page, fake_ak, cast, django_capture_on_commit_callbacks):
    automation_save(page=synced_page, template="Thanks {{first_name}}", enabled=True, actor=cast.alice)
    for user in (1, 2):
        fake_ak.add_user(user, first_name=f"U{user}")
    seen_by_both = fake_ak.add_action(100, page=10, user=1, fields={"comment": "hi"})
    fake_ak.add_action(101, page=10, user=2)  # The webhook never delivers this one.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(webhook_path(connection=activity_connection), data=json.dumps(seen_by_both),
                               content_type="application/json")
    assert response.status_code == 202
    assert Action.objects.get().source == "webhook"

    with django_capture_on_commit_callbacks(execute=True):
        first = poll_connection(connection_id=activity_connection.pk, client=fake_ak)
    assert (first["actions"], first["processed"]) == (2, 1)  # Both seen; only the missed one processed.
    with django_capture_on_commit_callbacks(execute=True):
        again = poll_connection(connection_id=activity_connection.pk, client=fake_ak)
    assert again["processed"] == 0
    assert dict(Action.objects.values_list("ak_id", "source")) == {100: "webhook", 101: "poll"}
    assert AutomationRun.objects.count() == 2
    assert sorted(OutboxMessage.objects.values_list("body", flat=True)) == ["Thanks U1", "Thanks U2"]
    assert synced_page.group.memberships.count() == 2


@pytest.mark.django_db
def test_it_only_asks_for_actions_on_synced_pages(activity_connection, synced_page, fake_ak):
    fake_ak.add_page(11, "not-synced")
    fake_ak.add_user(1)
    fake_ak.add_action(200, page=11, user=1)
    poll_connection(connection_id=activity_connection.pk, client=fake_ak)
    assert any(call.endswith("on [10]") for call in fake_ak.calls)
    assert not Action.objects.exists()


@pytest.mark.django_db
def test_it_skips_a_connection_whose_previous_poll_still_runs(activity_connection, fake_ak):
    from integrations.services.leases import lease_acquire

    lease_acquire(name=f"strive-activity-poll:{activity_connection.pk}", ttl_seconds=60)
    assert poll_connection(connection_id=activity_connection.pk, client=fake_ak) is None
    assert fake_ak.calls == []


@pytest.mark.django_db
def test_it_fans_out_only_to_activated_connections(activity_connection, fake_ak, cast):
    from integrations.models import Connection

    Connection.objects.create(entity=cast.entity_b, kind="strive_actionkit", host="b.example.org",
                              config={"sync_accounts": False})
    fake_ak.add_page(1, "p")
    assert poll_all() == 1  # Eager: the poll ran for entity A's connection only.
    assert Page.objects.filter(connection=activity_connection).count() == 1


@pytest.mark.django_db
def test_the_beat_runs_the_poll_every_ten_minutes_on_the_polls_queue(settings):
    from config.celery import beat_schedule

    entry = beat_schedule()["strive-activity-poll-all"]
    assert entry["task"] == "strive_activity.poll_all"
    assert entry["schedule"] == settings.POLL_INTERVAL_SECONDS == 600
    assert entry["options"]["queue"] == "polls"


@pytest.mark.django_db
def test_a_poll_takes_in_webhook_bodies_whose_task_was_lost(client, activity_connection, synced_page, fake_ak,
                                                           django_capture_on_commit_callbacks):
    fake_ak.add_user(7)
    body = {"id": 900, "page": "/rest/v1/petitionpage/10/", "user": "/rest/v1/user/7/", "fields": {}}
    with django_capture_on_commit_callbacks(execute=False):  # The broker was down: no task ran.
        client.post(webhook_path(connection=activity_connection), json.dumps(body), content_type="application/json")
    assert not Action.objects.exists()
    poll_connection(connection_id=activity_connection.pk, client=fake_ak)  # The list API does not show it yet.
    assert Action.objects.get().ak_id == 900
    assert synced_page.group.memberships.count() == 1


@pytest.mark.django_db
def test_long_listings_re_anchor_on_time_and_lose_nothing(fake_ak):
    from strive.activity.services.reading import actions_read

    for pk in range(1, 26):  # Two actions per second: windows of 4 re-anchor, repeating at most the last second.
        fake_ak.add_action(pk, page=10, user=pk, created=datetime(2026, 1, 1, 0, 0, pk // 2, tzinfo=UTC))
    read = [a.ak_id for a in actions_read(fake_ak, since=None, page_ids=[10], window=4)]
    assert set(read) == set(range(1, 26))
    assert sum(1 for c in fake_ak.calls if c.startswith("actions")) > 5
    assert len(read) < 25 * 2


def test_prefetching_keeps_order_and_raises_the_readers_error():
    from integrations.readahead import prefetched

    assert list(prefetched(iter(range(5000)), depth=10)) == list(range(5000))

    def failing():
        yield 1
        raise RuntimeError("ActionKit went away")

    reader = prefetched(failing())
    assert next(reader) == 1
    with pytest.raises(RuntimeError, match="went away"):
        next(reader)


@pytest.mark.django_db
def test_a_renamed_page_renames_its_group_and_old_webhook_bodies_are_pruned(activity_connection, synced_page, fake_ak):
    from django.utils import timezone

    from strive.activity.models import WebhookEvent

    old = WebhookEvent.objects.create(connection=activity_connection, ak_action_id=1, payload={},
                                      processed_at=timezone.now() - timedelta(days=8))
    fake_ak.add_page(10, "petition-renamed", minutes=60)
    poll_connection(connection_id=activity_connection.pk, client=fake_ak)
    synced_page.group.refresh_from_db()
    assert synced_page.group.name == "petition-renamed"
    assert not WebhookEvent.objects.filter(pk=old.pk).exists()


def test_read_ahead_groups_hold_what_was_already_read_and_errors_come_after_the_items_before_them():
    import threading
    import time

    from integrations.readahead import prefetched_groups

    release = threading.Event()

    def ahead_then_slow_then_failing():
        yield from range(6)
        release.wait(5)
        yield 6
        raise RuntimeError("ActionKit went away")

    groups = prefetched_groups(ahead_then_slow_then_failing(), depth=10, most=4)
    seen = [next(groups)]
    time.sleep(0.3)  # The reader is ahead: everything up to 5 is waiting in the buffer.
    seen.append(next(groups))
    assert len(seen[1]) >= 2  # Written together, not one by one.
    release.set()
    with pytest.raises(RuntimeError, match="went away"):
        for group in groups:
            seen.append(group)
    assert [item for group in seen for item in group] == list(range(7))
    assert max(len(group) for group in seen) <= 4
