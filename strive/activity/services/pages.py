"""Pages: the full pull on activation, the 10-minute incremental poll, Sync/Unsync and a page's initial import."""

from collections.abc import Iterable, Iterator
from datetime import timedelta
from functools import partial
from itertools import islice

from django.db import transaction
from django.utils import timezone

from actionkit import factory
from integrations.budget import OutOfTime, out_of_time
from integrations.models import Connection, SyncCursor
from integrations.readahead import prefetched
from integrations.services.audit import audit_record
from strive.activity.mapping import parse_ak_time
from strive.activity.models import Page
from strive.activity.services.actions import actions_ingest
from strive.activity.services.groups import synced_off
from strive.activity.services.reading import actions_read
from strive.activity.tasks import page_import as page_import_task
from strive.models import Group

POLL_OVERLAP = timedelta(minutes=5)  # Re-read this much: rows stamped before commit can land behind the cursor.
BATCH = 500  # Rows per transaction while pulling; small enough to keep each commit short.
RESUME_WITHIN = timedelta(minutes=5)  # A hand-over marker older than this (its task was lost) is ignored.


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def cursor_get(*, connection: Connection, stream: str) -> SyncCursor:
    cursor, _ = SyncCursor.objects.get_or_create(connection=connection, stream=stream)
    return cursor


def resume_position(cursor: SyncCursor):
    """Exactly where the task that ran out of time stopped, when this run continues it; else None."""
    marker = cursor.state.get("resume")
    if marker and cursor.position and parse_ak_time(marker["position"]) == cursor.position and (
            timezone.now() - parse_ak_time(marker["at"]) < RESUME_WITHIN):
        return cursor.position
    return None


def resume_since(cursor: SyncCursor):
    """Where a stream reads from: where the previous task stopped (see resume_position), else the cursor minus the
    overlap window. Re-reading the window in every short task could repeat the same rows forever when many share it."""
    return resume_position(cursor) or (cursor.position - POLL_OVERLAP if cursor.position else None)


def hand_over_if_out_of_time(*, cursor: SyncCursor, deadline: float | None, started_at, seen=()) -> None:
    """Raise OutOfTime once the budget is spent, after leaving a marker for the continuation (with `seen`, the ids
    taken in at exactly the cursor's position). Only once the cursor moved past where this run started, so that
    every task gets further than the one before."""
    if not out_of_time(deadline) or cursor.position is None or cursor.position == started_at:
        return
    marker = {"position": cursor.position.isoformat(), "at": timezone.now().isoformat(), "seen": sorted(seen)}
    cursor.state = {**cursor.state, "resume": marker}
    SyncCursor.objects.filter(pk=cursor.pk).update(state=cursor.state)
    raise OutOfTime


def resume_done(cursor: SyncCursor) -> dict:
    """The cursor's state without a hand-over marker, for the update that finishes a stream."""
    cursor.state = {key: value for key, value in cursor.state.items() if key != "resume"}
    return cursor.state


def pages_pull(*, connection: Connection, client, deadline: float | None = None) -> int:
    """Fetch pages updated since the cursor (all of them the first time) and upsert them. Returns rows seen.
    Raises OutOfTime after `deadline` (time.monotonic()), with the cursor where the continuation resumes."""
    cursor = cursor_get(connection=connection, stream="pages")
    since, from_position = resume_since(cursor), cursor.position
    started, seen = timezone.now(), 0
    for chunk in batched(client.pages_updated_since(since), BATCH):
        with transaction.atomic():
            _pages_upsert(connection=connection, rows=chunk)
            newest = max((parse_ak_time(r.get("updated_at")) for r in chunk if r.get("updated_at")), default=None)
            if newest and (cursor.position is None or newest > cursor.position):
                cursor.position = newest
            cursor.last_run_started_at = started
            cursor.save(update_fields=["position", "last_run_started_at", "updated_at"])
        seen += len(chunk)
        hand_over_if_out_of_time(cursor=cursor, deadline=deadline, started_at=from_position)
    SyncCursor.objects.filter(pk=cursor.pk).update(last_run_finished_at=timezone.now(), last_run_started_at=started,
                                                   state=resume_done(cursor))
    return seen


def _pages_upsert(*, connection: Connection, rows: list[dict]) -> None:
    existing = {p.ak_id: p for p in Page.objects.filter(connection=connection, ak_id__in=[r["id"] for r in rows])}
    new, changed = [], []
    for row in rows:
        values = {"name": str(row.get("name") or "")[:255], "title": str(row.get("title") or "")[:500],
                  "type": str(row.get("type") or "")[:40], "status": str(row.get("status") or "")[:40],
                  "hidden": bool(row.get("hidden")), "ak_updated_at": parse_ak_time(row.get("updated_at"))}
        page = existing.get(int(row["id"]))
        if page is None:
            new.append(Page(connection=connection, ak_id=int(row["id"]), **values))
            continue
        for key, value in values.items():
            setattr(page, key, value)
        changed.append(page)
    Page.objects.bulk_create(new, ignore_conflicts=True)
    Page.objects.bulk_update(changed, ["name", "title", "type", "status", "hidden", "ak_updated_at"])
    for page in changed:  # The page group shares the page's name, also after a rename in ActionKit.
        if page.group_id:
            Group.objects.filter(pk=page.group_id, kind=Group.Kind.PAGE).exclude(name=page.name).update(name=page.name)


@transaction.atomic
def page_sync(*, page: Page, actor) -> Page:
    """Sync: make (or reuse) the page group, and queue the import of its past actions (which trigger nothing)."""
    page = Page.objects.select_for_update().get(pk=page.pk)
    if page.synced:
        return page
    if page.group_id is None:
        page.group = Group.objects.create(entity_id=page.connection.entity_id, name=page.name,
                                          kind=Group.Kind.PAGE, connection_id=page.connection_id)
    page.synced, page.synced_at, page.import_status = True, timezone.now(), "running"
    page.save(update_fields=["group", "synced", "synced_at", "import_status"])
    audit_record(entity=page.connection.entity, actor=actor, action="strive.page.synced", target=f"page {page.name}")
    transaction.on_commit(partial(page_import_task.delay, page.pk))
    return page


@transaction.atomic
def page_unsync(*, page: Page, actor) -> Page:
    """Unsync: stop taking its actions. The group stays, with its members, and may now be deleted."""
    return synced_off(row=page, actor=actor, noun="page")


def page_import(*, page_id: int, client=None, deadline: float | None = None) -> int:
    """Every past action of one page, through the live path: the same keys, so the poll and webhook collapse.

    Returns the actions read; 0 when the page is gone or no longer synced. A failure marks the import failed and
    is raised again. After `deadline` (time.monotonic()) it raises OutOfTime; the next call continues where it stopped.
    """
    page = Page.objects.select_related("connection").filter(pk=page_id, synced=True).first()
    if page is None:
        return 0
    client = factory.bulk_client_for(page.connection) if client is None else client
    try:
        return _page_actions_import(page=page, client=client, deadline=deadline)
    except OutOfTime:
        raise  # Not a failure: the import goes on in a fresh task.
    except Exception:
        Page.objects.filter(pk=page_id).update(import_status="failed")
        raise


def _page_actions_import(*, page: Page, client, deadline: float | None) -> int:
    # The import's own cursor: the newest updated_at taken in, so a continuation reads on from there (the listing
    # is in updated_at order). Without a fresh hand-over marker the import starts from the beginning again.
    cursor = cursor_get(connection=page.connection, stream=f"page-import:{page.ak_id}")
    since = resume_position(cursor)
    if since is None:
        cursor.position = None
    # The actions at exactly the cursor's time that an earlier task took in: the listing returns them again.
    seen = set(cursor.state["resume"].get("seen", [])) if since else set()
    total, cache, from_position = (page.imported_actions if since else 0), {}, cursor.position
    pages = {page.ak_id: page}
    for items in batched(prefetched(actions_read(client, since=since, page_ids=[page.ak_id])), BATCH):
        items = [a for a in items if not (a.updated_at == since and a.ak_id in seen)]
        stats = actions_ingest(connection=page.connection, items=items, source="import", client=client,
                               pages=pages, member_cache=cache)
        total += stats.received
        Page.objects.filter(pk=page.pk).update(imported_actions=total)
        newest = max((a.updated_at for a in items if a.updated_at), default=None)
        if newest and (cursor.position is None or newest > cursor.position):
            cursor.position, seen = newest, set()
        seen |= {a.ak_id for a in items if a.updated_at == cursor.position}
        cursor.save(update_fields=["position", "updated_at"])
        hand_over_if_out_of_time(cursor=cursor, deadline=deadline, started_at=from_position, seen=seen)
    Page.objects.filter(pk=page.pk).update(import_status="done", imported_actions=total)
    cursor.delete()
    return total
