"""The user poll: phones, then users, read after a cursor minus an overlap window, under a lease.

Each group of pages is processed and the cursor moved in ONE transaction, so a crash resumes after the last
finished group and never skips a row. Rows at exactly the cursor's timestamp are remembered by id so a page boundary inside
one second neither repeats nor drops them; the overlap window re-reads rows that land late at the cursor's edge.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from actionkit import compat, errors
from actionkit.factory import bulk_client_for
from actionkit.services import compat_forbidden_record, compat_result
from config.celery import Queues
from integrations.models import Connection, SyncCursor
from integrations.readahead import prefetched_groups
from integrations.services.bulkload import BulkLoadStats, WriteTurns
from integrations.services.leases import lease, lease_renew
from integrations.services.outcomes import connection_halt
from strive.models import GroupMembership, Member, MemberLink, ScannedUser
from strive.services.config import KIND, sync_settings
from strive.services.phonesync import phones_ingest
from strive.services.sync import ak_time, users_sync_batch
from strive.tasks import users_poll as users_poll_task

logger = logging.getLogger(__name__)

PAGE = 100  # ActionKit's largest page.
PAGES_AHEAD = 4  # Pages read ahead of the writes; a crash re-reads at most these (they were not committed).
PAGES_PER_TRANSACTION = 4  # Pages already read are written (and the cursor moved) together, up to this many.
LEASE_SECONDS = 180  # Renewed as pages go by; a crashed poll frees the integration after this.
CHECK_SECONDS = 2.0  # How often a run renews its lease and re-reads Sync Accounts (at page boundaries).
STREAM_USERS, STREAM_PHONES = "users", "phones"
# Users whose custom fields changed while their updated_at stayed (read through SQL; actionkit.compat).
STREAM_FIELDS = "userfields"


def overlap() -> timedelta:
    return timedelta(seconds=getattr(django_settings, "STRIVE_POLL_OVERLAP_SECONDS", 120))


@dataclass
class PollResult:
    status: str  # done | more (time budget used; run again) | busy (another poll holds the lease) | off | throttled
    # | halted (credentials refused) | error (ActionKit failed; the next tick resumes from the cursor)
    # | blocked (the compatibility check turned member sync off; `reason` says why and what to change)
    users: int = 0
    phones: int = 0
    retry_after: float | None = None
    reason: str = ""


def poll_all() -> int:
    """Fan out one poll per active integration; each poll takes its own lease, so overlapping ticks are harmless."""
    count = 0
    for connection in Connection.objects.filter(kind=KIND).exclude(status=Connection.Status.DISCONNECTED):
        if not sync_settings(connection).active:
            continue
        users_poll_task.apply_async((connection.pk,), queue=Queues.POLLS)
        count += 1
    return count


def users_poll(*, connection_id: int, time_budget: float | None = None) -> PollResult:
    """One run of the user poll for one connection; never two at once for the same integration. After time_budget
    seconds (TASK_BUDGET_SECONDS by default) it returns "more" and its task queues a fresh one, so a 10,000-user
    initial sync is many short tasks that leave the polls pool free in between."""
    time_budget = django_settings.TASK_BUDGET_SECONDS if time_budget is None else time_budget
    with lease(f"strive-users-poll:{connection_id}", ttl_seconds=LEASE_SECONDS) as holder:
        if holder is None:
            return PollResult("busy")
        connection = Connection.objects.select_related("entity").filter(pk=connection_id).first()
        if connection is None or not _may_poll(connection):
            return PollResult("off")
        if blocked := compat.feature_off(compat_result(connection), "members"):
            return PollResult("blocked", reason=blocked)
        client = _poll_client(connection)
        run = _Run(connection, client, holder, time.monotonic() + time_budget)
        try:
            for name in _streams_left(connection):
                run.stream(name)
        except errors.ActionKitForbidden as exc:  # One resource refused: only member sync stops, and says why.
            compat_forbidden_record(connection=connection, resource=exc.resource)
            return PollResult("blocked", run.users, run.phones, reason=exc.message)
        except errors.ActionKitRateLimited as exc:
            return PollResult("throttled", run.users, run.phones, retry_after=exc.retry_after or 30.0)
        except errors.ActionKitUnauthorized as exc:
            connection_halt(connection=connection, reason=f"{exc.message} Reconnect with valid staff credentials.")
            return PollResult("halted", run.users, run.phones)
        except (errors.ActionKitTransient, errors.ActionKitRejected) as exc:
            # The cursor holds every finished page; the next tick (10 minutes) resumes after it.
            logger.warning("strive.poll.failed", extra={"connection_id": connection.pk, "reason": exc.message})
            return PollResult("error", run.users, run.phones)
        except _OutOfTime:
            return PollResult("more", run.users, run.phones)
        finally:
            client.close()
        return PollResult("done", run.users, run.phones)


def _poll_client(connection):
    """The shared budget's bulk client: live pushes go first; actionkit.factory plans below the budget."""
    return bulk_client_for(connection)


def _may_poll(connection: Connection) -> bool:
    return sync_settings(connection).active and not connection.halted and not connection.entity.paused


class _OutOfTime(Exception):
    pass


RESUME_WITHIN = timedelta(minutes=5)  # A hand-over marker older than this (its task was lost) is ignored.


def _resume_marker(cursor: SyncCursor) -> dict | None:
    """The exact point a run that ran out of time stopped at, if its continuation is due now."""
    marker = cursor.state.get("resume")
    if not marker or not cursor.position or ak_time(marker["position"]) != cursor.position:
        return None
    return marker if timezone.now() - ak_time(marker["at"]) < RESUME_WITHIN else None


def _streams_left(connection: Connection) -> list[str]:
    """Both streams, or, in the continuation of a run that ran out of time, the one it stopped in and those after.
    Without this a continuation would re-read the finished phone stream's overlap window every time."""
    order = [STREAM_PHONES, STREAM_USERS]
    if compat.field_changes_via_sql(compat_result(connection)):
        order.append(STREAM_FIELDS)
    cursors = {c.stream: c for c in SyncCursor.objects.filter(connection=connection, stream__in=order)}
    for index, name in enumerate(order):
        if name in cursors and _resume_marker(cursors[name]):
            return order[index:]
    return order


class _Run:
    def __init__(self, connection, client, holder: str, deadline: float):
        self.connection, self.client, self.holder, self.deadline = connection, client, holder, deadline
        self.users = self.phones = 0
        self.checked_at = -CHECK_SECONDS  # The first page checks.
        self.edge: tuple = (None, set())  # (cursor position, ids processed at exactly it), for a hand-over.
        # Each pass fills its own tables, ANALYZEd as they grow (a table analyzed while still empty plans worst).
        self.stats = {STREAM_PHONES: BulkLoadStats(ScannedUser),
                      STREAM_USERS: BulkLoadStats(ScannedUser, Member, MemberLink, GroupMembership)}
        self.stats[STREAM_FIELDS] = self.stats[STREAM_USERS]
        self.turns = WriteTurns()

    def stream(self, name: str) -> None:
        cursor, _ = SyncCursor.objects.get_or_create(connection=self.connection, stream=name)
        if name == STREAM_FIELDS and cursor.position is None:  # The user scan covers what came before it.
            users = SyncCursor.objects.filter(connection=self.connection, stream=STREAM_USERS).first()
            cursor.position = (users.position if users else None) or timezone.now()
            SyncCursor.objects.filter(pk=cursor.pk).update(position=cursor.position)
        position, seen = self._start(cursor)
        SyncCursor.objects.filter(pk=cursor.pk).update(last_run_started_at=timezone.now(), state=cursor.state)
        # Each page's query depends only on the previous page's last row, so pages are read ahead in a thread while
        # earlier ones are written. Pages already read when a write starts share its transaction (fewer round trips
        # and commits per row); under a rate limit each page is written as soon as it arrives.
        groups = prefetched_groups(self._pages(name, position, seen), depth=PAGES_AHEAD, most=PAGES_PER_TRANSACTION)
        with closing(groups):
            for written, (rows, position) in enumerate(map(_joined, groups)):
                if written and time.monotonic() > self.deadline:  # At least one group per task: always progress.
                    self._hand_over(cursor)
                    raise _OutOfTime
                if not self._keep_going():
                    return
                self._process(name, cursor, rows, position)
        SyncCursor.objects.filter(pk=cursor.pk).update(last_run_finished_at=timezone.now())
        if name == STREAM_USERS:
            _initial_done(cursor)

    def _start(self, cursor: SyncCursor) -> tuple:
        """Where to read from: exactly where the previous task stopped when this run continues it, else the cursor
        minus the overlap window. A continuation that re-read the overlap would, with many rows stamped within
        the window, repeat the same rows in every short task and never get further."""
        marker = _resume_marker(cursor)
        cursor.state = {key: value for key, value in cursor.state.items() if key != "resume"}
        if marker:
            self.edge = (cursor.position, set(marker["seen"]))
            return cursor.position, set(marker["seen"])
        return (cursor.position - overlap() if cursor.position else None), set()

    def _hand_over(self, cursor: SyncCursor) -> None:
        position, seen = self.edge
        if position is None:
            return  # Nothing was written in this run; the continuation starts as this one did.
        marker = {"position": position.isoformat(), "seen": sorted(seen), "at": timezone.now().isoformat()}
        cursor.state = {**cursor.state, "resume": marker}
        SyncCursor.objects.filter(pk=cursor.pk).update(state=cursor.state)

    def _pages(self, name: str, position, seen: set[int]) -> Iterator[tuple[list[dict], object]]:
        """(rows, the cursor after them) for each page after `position`. HTTP only: it runs in the read-ahead
        thread."""
        while rows := self._page(name, position, seen):
            position, seen = _advance(rows, position, seen)
            yield rows, position

    def _keep_going(self) -> bool:
        """False once Sync Accounts is off or the connection halted: the poll stops within CHECK_SECONDS, between
        two writes. Renews the lease at the same pace: two statements every couple of seconds, not every page."""
        now = time.monotonic()
        if now - self.checked_at < CHECK_SECONDS:
            return True
        self.checked_at = now
        lease_renew(name=f"strive-users-poll:{self.connection.pk}", holder=self.holder, ttl_seconds=LEASE_SECONDS)
        fresh = Connection.objects.filter(pk=self.connection.pk).only("status", "config", "halted").first()
        return fresh is not None and sync_settings(fresh).active and not fresh.halted

    def _page(self, name: str, position, seen: set[int]) -> list[dict]:
        """The next rows after the cursor: one HTTP page, unless every row on it was already processed (a run of
        rows sharing the cursor's timestamp), in which case the scan continues to the following page."""
        source = {STREAM_PHONES: self.client.phones_updated_since, STREAM_USERS: self.client.users_updated_since,
                  STREAM_FIELDS: self.client.users_field_changed_since}[name]
        size = page_size(self.client.throttle.class_per_minute if self.client.throttle else 0)
        raw = source(position, page_size=size)
        while True:
            chunk = list(islice(raw, size))
            fresh = [row for row in chunk if _is_new(row, position, seen)]
            if fresh or len(chunk) < size:
                return fresh

    def _process(self, name: str, cursor: SyncCursor, rows: list[dict], position) -> None:
        with transaction.atomic():
            if name == STREAM_PHONES:
                phones_ingest(connection=self.connection, phones=rows)
                self.phones += len(rows)
            else:
                users_sync_batch(connection=self.connection, users=rows)
                self.users += len(rows)
            state = {**cursor.state, "run_" + name: getattr(self, name, self.users)}
            SyncCursor.objects.filter(pk=cursor.pk).update(position=position, state=state, updated_at=timezone.now())
            cursor.state = state
        at_edge = {int(row["id"]) for row in rows if ak_time(row.get("updated_at")) == position}
        self.edge = (position, at_edge | (self.edge[1] if self.edge[0] == position else set()))
        self.stats[name].written(len(rows))
        self.turns.committed()


def _joined(pages: list[tuple[list[dict], object]]) -> tuple[list[dict], object]:
    """Consecutive pages as one list of rows, with the cursor after the last of them. A row edited in ActionKit while
    the poll reads comes back on a later page: only its newest version is kept, once."""
    rows = {int(row["id"]): row for page, _ in pages for row in page}
    return list(rows.values()), pages[-1][1]


def _advance(rows: list[dict], position, seen: set[int]):
    """The cursor after these rows: the last timestamp, and the ids already processed at exactly that timestamp."""
    last = ak_time(rows[-1].get("updated_at"))
    at_last = {int(r["id"]) for r in rows if ak_time(r.get("updated_at")) == last}
    return last, at_last | (seen if last == position else set())


def page_size(per_minute: int) -> int:
    """The page size (≤ PAGE) that fills a minute's budget best: the limiter admits whole pages, so with 960
    records a minute (the bulk share of a 980 plan) pages of 100 use 900 and pages of 96 use all 960."""
    if not per_minute:
        return PAGE
    return max(range(PAGE, PAGE // 2 - 1, -1), key=lambda size: (per_minute // size) * size)


def _is_new(row: dict, position, seen: set[int]) -> bool:
    if position is None:
        return True
    stamp = ak_time(row.get("updated_at"))
    return stamp is None or stamp > position or (stamp == position and int(row["id"]) not in seen)


def _initial_done(cursor: SyncCursor) -> None:
    cursor.refresh_from_db(fields=["state"])
    if not cursor.state.get("initial_done"):
        SyncCursor.objects.filter(pk=cursor.pk).update(
            state={**cursor.state, "initial_done": True, "initial_finished_at": timezone.now().isoformat()})
