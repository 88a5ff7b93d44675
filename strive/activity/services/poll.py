"""The 10-minute poll of one connection: pages, actions on synced pages, usergroups. One run at a time."""

import logging

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from actionkit import compat, factory
from actionkit.errors import ActionKitError, ActionKitForbidden
from actionkit.services import compat_forbidden_record, compat_result
from integrations.budget import OutOfTime, task_deadline
from integrations.models import Connection, SyncCursor
from integrations.readahead import prefetched
from integrations.services.leases import lease
from strive.activity.models import Page
from strive.activity.services.actions import IngestStats, actions_ingest, synced_pages
from strive.activity.services.pages import (
    BATCH,
    POLL_OVERLAP,
    batched,
    cursor_get,
    hand_over_if_out_of_time,
    pages_pull,
    resume_done,
    resume_since,
)
from strive.activity.services.reading import actions_read
from strive.activity.services.usergroups import usergroups_refresh
from strive.activity.services.webhooks import webhook_events_drain, webhook_events_prune
from strive.activity.tasks import poll_connection as poll_connection_task
from strive.kind import KIND

logger = logging.getLogger(__name__)
POLL_LEASE_SECONDS = 9 * 60  # Shorter than the 10-minute beat, so a crashed run never blocks the next one.


def connections_to_poll():
    """Active, activated (Sync Accounts on) connections of live entities."""
    return Connection.objects.filter(kind=KIND, halted=False, entity__paused=False, config__sync_accounts=True).exclude(
        status=Connection.Status.DISCONNECTED)


def poll_all() -> int:
    """Beat, every 10 minutes: queue one poll per connection; each runs under its own lease."""
    ids = list(connections_to_poll().values_list("pk", flat=True))
    for connection_id in ids:
        poll_connection_task.delay(connection_id)
    return len(ids)


def poll_connection_start(*, connection_id: int) -> None:
    """Queue a poll of this connection now: from the Settings pane, and when Sync Accounts is turned on."""
    poll_connection_task.delay(connection_id)


def poll_connection(*, connection_id: int, client=None, time_budget: float | None = None) -> dict | None:
    """Poll one connection; None when it is gone, paused, or another run holds its lease. After time_budget seconds
    (TASK_BUDGET_SECONDS by default) it stops between two batches and returns {"more": True}: its task queues a
    fresh poll, which goes on from the cursors."""
    deadline = task_deadline(time_budget)
    connection = connections_to_poll().filter(pk=connection_id).first()
    if connection is None:
        return None
    with lease(f"strive-activity-poll:{connection_id}", ttl_seconds=POLL_LEASE_SECONDS) as held:
        if not held:
            return None
        if client is None:
            client = factory.bulk_client_for(connection)
        try:
            activity = _feature(connection, "activity",
                                lambda: _activity_poll(connection=connection, client=client, deadline=deadline))
            usergroups = _feature(connection, "usergroups",
                                  lambda: usergroups_refresh(connection=connection, client=client, deadline=deadline))
        except OutOfTime:
            return {"more": True}
        except ActionKitError as exc:
            logger.warning("strive.activity.poll.failed", extra={"connection_id": connection_id,
                                                                 "error": type(exc).__name__})
            raise
        return {**(activity or {"pages": None, "actions": None, "processed": None}), "usergroups": usergroups}


def _feature(connection: Connection, feature: str, run):
    """Run one feature of the poll unless the compatibility check turned it off; a resource refused on the way
    turns off what needs it (recorded for the details page) and leaves the other features running."""
    if compat.feature_off(compat_result(connection), feature):
        return None
    try:
        return run()
    except ActionKitForbidden as exc:
        compat_forbidden_record(connection=connection, resource=exc.resource)
        logger.warning("strive.activity.poll.forbidden", extra={"connection_id": connection.pk,
                                                                "resource": exc.resource})
        return None


def _activity_poll(*, connection: Connection, client, deadline: float | None) -> dict:
    pages = pages_pull(connection=connection, client=client, deadline=deadline)
    webhook_events_drain(connection=connection, client=client)  # Bodies whose task was lost.
    webhook_events_prune(connection=connection)
    actions = actions_poll(connection=connection, client=client, deadline=deadline)
    return {"pages": pages, "actions": actions.received, "processed": actions.processed}


def actions_poll(*, connection: Connection, client, deadline: float | None = None) -> IngestStats:
    """Actions updated since the cursor on synced pages; what the webhook already processed is skipped. Raises
    OutOfTime after `deadline` (time.monotonic()), with the cursor where the continuation resumes."""
    pages = synced_pages(connection=connection)
    stats = IngestStats()
    if not pages:
        return stats
    cursor = cursor_get(connection=connection, stream="actions")
    since, from_position = _actions_since(connection=connection, cursor=cursor), cursor.position
    started, cache = timezone.now(), {}
    # page__in not honoured (actionkit.compat): one listing per page with page=<id>, each keyed on time alike.
    per_page = compat.actions_per_page(compat_result(connection))
    for page_ids in ([[p] for p in sorted(pages)] if per_page else [sorted(pages)]):
        _actions_read_into(connection, client, since, page_ids, pages, cache, stats, cursor, started,
                           deadline=deadline, from_position=from_position)
    SyncCursor.objects.filter(pk=cursor.pk).update(last_run_finished_at=timezone.now(), position=cursor.position
                                                   or started, state=resume_done(cursor))
    return stats


def _actions_read_into(connection, client, since, page_ids, pages, cache, stats, cursor, started, *, deadline,
                       from_position) -> None:
    for items in batched(prefetched(actions_read(client, since=since, page_ids=page_ids)), BATCH):
        stats.add(actions_ingest(connection=connection, items=items, source="poll", client=client,
                                 pages=pages, member_cache=cache))
        newest = max((a.updated_at for a in items if a.updated_at), default=None)
        with transaction.atomic():
            if newest and (cursor.position is None or newest > cursor.position):
                cursor.position = newest
            cursor.last_run_started_at = started
            cursor.save(update_fields=["position", "last_run_started_at", "updated_at"])
        hand_over_if_out_of_time(cursor=cursor, deadline=deadline, started_at=from_position)


def _actions_since(*, connection: Connection, cursor: SyncCursor):
    if cursor.position:
        return resume_since(cursor)
    # First run: each page's own import covers its history, so start from the earliest sync.
    first_sync = Page.objects.filter(connection=connection, synced=True).aggregate(t=Min("synced_at"))["t"]
    return (first_sync or timezone.now()) - POLL_OVERLAP
