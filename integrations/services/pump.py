"""The send scheduler: sending is scheduled per connection, not per row, so one connection's backlog costs the
others nothing.

A turn serves every sendable connection with due rows of its lane from one loop: live rows (task
integrations.deliveries_schedule, on the live queue) or backfill rows (integrations.backfills_schedule). Each
connection waits in a heap keyed by when its ActionKit budget has room for its next record, read from the shared
limiter without reserving anything, so connections take turns row by row at their own budget's pace: a connection
with 100,000 rows waiting gets its budget and no more, and one with a single live row is served at its next slot.
A backfill turn claims a connection's due live rows before its backfill rows, and both lanes draw on the same
budget, so live rows go first within it and the backfill takes what they leave.

Per connection a turn claims a small batch at a time (on PostgreSQL one `UPDATE ... WHERE id IN (SELECT ... FOR
UPDATE SKIP LOCKED) RETURNING` statement, so concurrent turns take different rows; on SQLite the same statement
without the lock, as SQLite runs one writer at a time), has the kind prepare the batch's payloads at once (its
`prepare_batch`, when it has one), sends it row by row through the kind and records the batch's successes in one
transaction. The rules of
integrations.services.deliveries hold: every claim re-checks that the connection is sendable; a row with
`depends_on` is claimed only once that row succeeded; every other outcome goes through outcome_apply, and after a
retryable one or a halt the connection's unsent rows are handed back untried and it sits out the rest of the turn.
A worker killed mid-turn strands at most one batch per connection in SENDING until the sweeper frees it.

A turn keeps up to DELIVERY_SENDS_IN_FLIGHT sends out at once on sender threads, never two for one connection, so
the waits of one send (database, limiter, ActionKit) overlap with another connection's instead of adding up.

A turn lasts TURN_SECONDS and then queues the next one behind whatever else waits on its queue; while it runs it
renews the lane's "turn queued or running" flag, so new rows cost no broker message (integrations.services.
outcomes.schedule_kick).
"""

import heapq
import itertools
import logging
import os
import sys
import time
from collections import Counter, deque
from concurrent import futures
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from integrations.models import Backfill, Connection, Delivery, DeliveryAttempt
from integrations.ratelimit import Throttle, throttle_for
from integrations.registry import Outcome
from integrations.services.outcomes import (
    EXCERPT_LIMIT,
    connection_succeeded,
    kind_prepare,
    kind_send,
    outcome_apply,
    schedule_kick,
    turn_flag_clear,
    turn_flag_renew,
)

logger = logging.getLogger("integrations.services.deliveries")

TURN_SECONDS = 3.0  # A turn hands its worker back after this long, so other tasks on its queue wait seconds at most.
REFRESH_SECONDS = 0.5  # How often a turn looks for connections that have new due rows (a live row's extra wait).
BATCH = 50  # Most rows claimed at once per connection; a killed worker strands at most this many until the sweep.
BATCH_SECONDS = 1.0  # A paced connection's batch holds about this many seconds of its budget.
UNPACED_SPACING = 0.002  # Seconds between records below which a budget is not worth one limiter read per row.
# A row is handed to a sender when its budget frees up within this many seconds; the client's limiter then waits
# for the exact slot. A send that starts late is made up only while the connection is less than the limiter's
# catch-up allowance (ratelimit.LIVE_CATCH_UP_SECONDS) behind its pace, so a sender thread is given the row early
# enough that its wake-up and the limiter's read never make it late.
SLOT_LEAD = 0.03
SLOT_LEAD_INLINE = 0.005  # Without sender threads the loop itself would wait, so it waits less.
# How long a thread may keep the GIL while another waits for it (Python's default is 5 ms). The turn's loop hands
# every row over, so each time it waits behind a sender thread parsing a response, a paced slot starts late.
GIL_SWITCH_SECONDS = 0.001


def deliveries_schedule(*, seconds: float = TURN_SECONDS) -> int:
    """One turn of the live lane. Returns rows delivered."""
    return schedule_turn(lane=Delivery.Lane.LIVE, seconds=seconds)


def connection_pump(*, connection_id: int, seconds: float = TURN_SECONDS) -> int:
    """A live turn limited to one connection (kept for callers that know which connection has work)."""
    return schedule_turn(lane=Delivery.Lane.LIVE, seconds=seconds, connection_ids=[connection_id])


def schedule_turn(*, lane: str, seconds: float = TURN_SECONDS, connection_ids: list[int] | None = None) -> int:
    """Send due rows of `lane` for every sendable connection (or only `connection_ids`) until none are due or time
    is up; then queue the next turn if rows are still due. Returns rows delivered."""
    turn = _Turn(lane=lane, only=connection_ids)
    try:
        time_up = turn.run(seconds)
    finally:
        turn.close()
        if connection_ids is None:
            turn_flag_clear(lane=lane)
    if connection_ids is None:
        # Checked after the flag is gone: a row committed during the last look is either seen here or its own kick
        # finds no flag and queues a turn.
        if time_up or connections_due(lane=lane, exclude=turn.dropped | set(turn.waiting)):
            schedule_kick(lane=lane)
        elif turn.waiting:  # Only budgets that free up later (a 429's pause): a turn then, not a worker held now.
            schedule_kick(lane=lane, countdown=min(turn.waiting.values()))
    return turn.delivered


@dataclass
class _Queue:
    """One connection's place in a turn."""

    connection: Connection
    throttle: Throttle | None  # None when the budget is too large to be worth reading per row.
    spacing: float  # Seconds between records at this connection's budget.
    batch: int
    claimed: deque = field(default_factory=deque)
    payloads: dict = field(default_factory=dict)  # The kind's prepared payloads of the claimed rows, by id.
    sent: list = field(default_factory=list)


class _Turn:
    def __init__(self, *, lane: str, only: list[int] | None):
        self.lane, self.only = lane, only
        self.queues: dict[int, _Queue] = {}
        self.heap: list[tuple[float, int, int]] = []
        self.order = itertools.count()
        self.delivered = 0
        self.idle: set[int] = set()  # Came up empty since the last scheduled look.
        self.dropped: set[int] = set()  # Sit out the rest of this turn after a failure.
        self.waiting: dict[int, float] = {}  # Budget frees up after this turn ends: seconds from now.
        self.stop_at = 0.0
        self.senders = max(1, settings.DELIVERY_SENDS_IN_FLIGHT)
        self.pool = send_pool(self.senders) if self.senders > 1 else None
        self.lead = SLOT_LEAD if self.pool else SLOT_LEAD_INLINE
        self.inflight: dict[futures.Future, tuple[_Queue, Delivery]] = {}  # At most one per connection.

    def run(self, seconds: float) -> bool:
        """The loop; True when time ran out with rows still due."""
        stop_at = self.stop_at = time.monotonic() + seconds
        next_look, slack_at, helped = 0.0, time.monotonic(), False
        while True:
            now = time.monotonic()
            self.collect()
            if now >= next_look:
                self.look(scheduled=True)
                next_look = now + REFRESH_SECONDS
            elif not self.heap and not self.inflight:
                self.look(scheduled=False)
            if not self.heap and not self.inflight:
                return False
            if now >= stop_at:
                self.collect(everything=True)
                return True
            ready = bool(self.heap) and self.heap[0][0] <= now
            if ready and len(self.inflight) < self.senders:
                if not helped and self.only is None and now - slack_at > REFRESH_SECONDS:
                    schedule_kick(lane=self.lane, helper=True)  # Never a slack moment: a second process has work.
                    helped = True
                self.step(heapq.heappop(self.heap)[2])
                continue
            if not ready and not self.inflight:
                slack_at = now
            until = min(self.heap[0][0] if self.heap and not ready else now + REFRESH_SECONDS, next_look, stop_at)
            self.collect(timeout=max(0.0, until - now))

    def collect(self, *, timeout: float = 0.0, everything: bool = False) -> None:
        """Take in finished sends, waiting up to `timeout` for the first (or for all); sleep when none is out."""
        if not self.inflight:
            if timeout > 0:
                time.sleep(timeout)
            return
        done, _ = futures.wait(list(self.inflight), timeout=None if everything else timeout,
                               return_when=futures.ALL_COMPLETED if everything else futures.FIRST_COMPLETED)
        for future in done:
            queue, delivery = self.inflight.pop(future)
            self.finish(queue, delivery, *future.result())

    def look(self, *, scheduled: bool) -> None:
        """Add connections with due rows that are not in the turn yet; refresh the ones that are."""
        if self.only is None:
            turn_flag_renew(lane=self.lane)
        if scheduled:
            self.idle.clear()
        skip = self.dropped | self.idle | set(self.waiting)
        for connection in connections_with_due_rows(lane=self.lane, only=self.only):
            queue = self.queues.get(connection.pk)
            if queue is not None:
                queue.connection = connection  # New credentials or budget apply from here on.
            elif connection.pk not in skip:
                self.queues[connection.pk] = _queue_for(connection)
                self.push(connection.pk, time.monotonic())

    def push(self, connection_id: int, at: float) -> None:
        heapq.heappush(self.heap, (at, next(self.order), connection_id))

    def step(self, connection_id: int) -> None:
        queue = self.queues[connection_id]
        if not queue.claimed:
            record_successes(queue.sent)
            queue.claimed.extend(claim_batch(connection=queue.connection, lane=self.lane, limit=queue.batch))
            if not queue.claimed:
                del self.queues[connection_id]
                self.idle.add(connection_id)
                return
            queue.payloads = kind_prepare(list(queue.claimed))
        wait = budget_wait(queue.throttle)
        if wait > self.stop_at - time.monotonic():  # Paused past this turn: a later turn takes it.
            self.waiting[connection_id] = wait
            self.release(connection_id)
            return
        if wait > self.lead:
            self.push(connection_id, time.monotonic() + wait - self.lead)
            return
        delivery = queue.claimed.popleft()
        payload = queue.payloads.pop(delivery.id, None)
        if self.pool is None or (len(self.queues) == 1 and not self.inflight):
            # With one connection in the turn nothing could overlap it, and a thread hand-off costs about 1 ms of
            # CPU per row (measured with bench/send_overhead.py).
            self.finish(queue, delivery, *timed_send(delivery, payload))
        else:
            self.inflight[self.pool.submit(threaded_send, delivery, payload)] = (queue, delivery)

    def finish(self, queue: _Queue, delivery: Delivery, outcome: Outcome, started_at, started: float,
               duration_ms: int) -> None:
        if outcome.kind == Outcome.SUCCESS:
            queue.sent.append((delivery, outcome, started_at, duration_ms))
            self.delivered += 1
            if not queue.claimed:
                record_successes(queue.sent)  # Recorded at once: a row sits in SENDING one batch at most.
            paced = queue.throttle is not None
            self.push(queue.connection.pk, started + queue.spacing - self.lead if paced else time.monotonic())
            return
        record_successes(queue.sent)
        outcome_apply(delivery=delivery, outcome=outcome, started_at=started_at, duration_ms=duration_ms)
        if outcome.kind == Outcome.PERMANENT:  # This row was bad; the next one may not be.
            self.push(queue.connection.pk, time.monotonic())
            return
        self.dropped.add(queue.connection.pk)
        self.release(queue.connection.pk)

    def release(self, connection_id: int) -> None:
        """Take a connection out of the turn: record what it sent, hand back what it did not."""
        queue = self.queues.pop(connection_id)
        record_successes(queue.sent)
        hand_back(list(queue.claimed))
        queue.claimed.clear()
        queue.payloads.clear()

    def close(self) -> None:
        self.collect(everything=True)  # Sends still out (the loop raised) are recorded, not left in SENDING.
        for connection_id in list(self.queues):
            self.release(connection_id)


def timed_send(delivery: Delivery, payload: object = None) -> tuple[Outcome, object, float, int]:
    started_at, started = timezone.now(), time.monotonic()
    outcome = kind_send(delivery, payload)
    return outcome, started_at, started, int((time.monotonic() - started) * 1000)


def threaded_send(delivery: Delivery, payload: object = None) -> tuple[Outcome, object, float, int]:
    # A sender thread keeps its own database connection between turns, like a pool; drop it once it broke or aged.
    db.close_if_unusable_or_obsolete()
    try:
        return timed_send(delivery, payload)
    except Exception as exc:  # kind_send sorts sender errors itself; this is the thread's own plumbing failing.
        logger.exception("delivery.send.crashed", extra={"delivery_id": delivery.id})
        outcome = Outcome(Outcome.RETRYABLE, detail=f"Internal error while sending: {type(exc).__name__}")
        return outcome, timezone.now(), time.monotonic(), 0


_pools: dict[tuple[int, int], futures.ThreadPoolExecutor] = {}


def send_pool(size: int) -> futures.ThreadPoolExecutor:
    """Sender threads for this process, made after the worker forked (a pool does not survive a fork)."""
    key = (os.getpid(), size)
    if key not in _pools:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        _pools[key] = futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="delivery-send")
    return _pools[key]


def _queue_for(connection: Connection) -> _Queue:
    budget = connection.budget_per_minute
    spacing = 60.0 / budget if budget else 0.0
    # The same key as the ActionKit client's limiter (actionkit.factory), read here only, never reserved.
    throttle = (throttle_for(key=f"connection:{connection.pk}", per_minute=budget, host=connection.host, max_concurrent=0)
                if spacing >= UNPACED_SPACING else None)
    batch = BATCH if throttle is None else max(1, min(BATCH, int(BATCH_SECONDS / spacing)))
    return _Queue(connection=connection, throttle=throttle, spacing=spacing, batch=batch)


def budget_wait(throttle: Throttle | None) -> float:
    """Seconds until the budget has room for one more record. A negative max_wait makes both limiter backends
    answer before they write anything, so this reserves nothing."""
    if throttle is None:
        return 0.0
    try:
        _, wait, _ = throttle.backend.reserve(throttle.key, 1, throttle.per_minute, throttle.window, -1.0)
    except Exception:  # Limiter unreachable: send, and let the client's own limiter decide.
        return 0.0
    return max(0.0, wait)


def rows_due(*, lane: str, now):
    rows = Delivery.objects.filter(lane=lane, status__in=Delivery.DUE, next_attempt_at__lte=now).filter(
        Q(depends_on__isnull=True) | Q(depends_on__status=Delivery.Status.SUCCEEDED))
    if lane == Delivery.Lane.BACKFILL:
        rows = rows.filter(backfill__status=Backfill.Status.RUNNING)
    return rows


def _sendable():
    return (Connection.objects.select_related("entity").filter(halted=False, entity__paused=False)
            .exclude(status=Connection.Status.DISCONNECTED))


def connections_with_due_rows(*, lane: str, only: list[int] | None = None) -> list[Connection]:
    """Sendable connections with rows this lane's turn would claim now: one indexed probe per connection."""
    connections = _sendable().filter(Exists(rows_due(lane=lane, now=timezone.now()).filter(connection=OuterRef("pk"))))
    if lane == Delivery.Lane.BACKFILL:
        connections = connections.filter(backfills__status=Backfill.Status.RUNNING).distinct()
    if only is not None:
        connections = connections.filter(pk__in=only)
    return list(connections.order_by("pk"))


def connections_due(*, lane: str, exclude: set[int]) -> bool:
    return any(c.pk not in exclude for c in connections_with_due_rows(lane=lane))


def claim_batch(*, connection: Connection, lane: str, limit: int) -> list[Delivery]:
    """Claim up to `limit` due rows of one connection, live rows first (a backfill turn then takes backfill rows),
    and return them in id order with the connection attached."""
    claimed = _claim(connection.pk, Delivery.Lane.LIVE, limit)
    if lane == Delivery.Lane.BACKFILL and len(claimed) < limit:
        claimed += _claim(connection.pk, Delivery.Lane.BACKFILL, limit - len(claimed))
    for delivery in claimed:
        delivery.connection = connection  # One connection object per turn, so bookkeeping is shared.
    return claimed


def _claim(connection_id: int, lane: str, limit: int) -> list[Delivery]:
    now = timezone.now()
    due = (rows_due(lane=lane, now=now).filter(connection_id=connection_id, connection__halted=False, connection__entity__paused=False)
           .exclude(connection__status=Connection.Status.DISCONNECTED).order_by("id"))
    if db.features.has_select_for_update_skip_locked:
        ids = due.values("id").select_for_update(skip_locked=True, of=("self",))[:limit]
    elif db.vendor == "sqlite" and db.features.can_return_columns_from_insert:  # SQLite 3.35+: RETURNING.
        ids = due.values("id")[:limit]  # SQLite runs one writer at a time: the statement claims alone, no lock needed.
    else:
        return _claim_row_by_row(due, now, limit)
    # One statement claims and returns the rows: no second read. Django compiles a FOR UPDATE only inside a
    # transaction, hence the atomic block around what is a single statement.
    with transaction.atomic():
        ids_sql, ids_params = ids.query.sql_with_params()
        sql = (f"UPDATE {Delivery._meta.db_table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608
               f"WHERE id IN ({ids_sql}) RETURNING *")
        params = [Delivery.Status.SENDING.value, db.ops.adapt_datetimefield_value(now), *ids_params]
        rows = list(Delivery.objects.raw(sql, params))
    return sorted(rows, key=lambda d: d.id)


def _claim_row_by_row(due, now, limit: int) -> list[Delivery]:
    """Without SKIP LOCKED or RETURNING: each row is claimed by a compare-and-set on its status and tries."""
    claim = {"status": Delivery.Status.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    ids = [pk for pk, status, attempts in due.values_list("id", "status", "attempts")[:limit]
           if Delivery.objects.filter(pk=pk, status=status, attempts=attempts).update(**claim) == 1]
    return list(Delivery.objects.filter(id__in=ids).order_by("id")) if ids else []


@transaction.atomic
def record_successes(items: list) -> None:
    """Record a batch of successful sends in one transaction: attempts, rows, backfill counters, connection."""
    if not items:
        return
    now = timezone.now()
    rows = []
    for delivery, outcome, _, _ in items:
        delivery.status, delivery.delivered_at, delivery.last_error, delivery.claimed_at = (
            Delivery.Status.SUCCEEDED, now, "", None)
        delivery.remote_ref, delivery.last_status_code = outcome.remote_ref[:200], outcome.status_code
        rows.append(delivery)
    _mark_succeeded(items, now)
    counts = Counter(d.backfill_id for d in rows if d.backfill_id and d.lane == Delivery.Lane.BACKFILL)
    for backfill_id, count in counts.items():
        Backfill.objects.filter(pk=backfill_id).update(succeeded=F("succeeded") + count)
    connection_succeeded(rows[0].connection, now)
    for delivery, outcome, _, _ in items:
        logger.info("delivery.attempt.success", extra={"delivery_id": delivery.id, "connection_id": delivery.connection_id,
                                                       "status": outcome.status_code, "attempt": delivery.attempts})
    items.clear()


def _mark_succeeded(items: list, now) -> None:
    """Write the batch's attempts and move its rows (already stamped in memory) to SUCCEEDED."""
    if db.vendor == "postgresql":
        _mark_succeeded_postgresql(items, now)
        return
    DeliveryAttempt.objects.bulk_create([
        DeliveryAttempt(delivery=delivery, started_at=started_at, duration_ms=duration_ms, outcome=outcome.kind,
                        status_code=outcome.status_code, detail=outcome.detail[:EXCERPT_LIMIT])
        for delivery, outcome, started_at, duration_ms in items])
    # One UPDATE … FROM a VALUES list (SQLite 3.33 and up) instead of bulk_update's CASE per field and row.
    values = ", ".join(["(%s, %s, %s)"] * len(items))
    params = [value for delivery, *_ in items for value in (delivery.id, delivery.remote_ref, delivery.last_status_code)]
    params += [Delivery.Status.SUCCEEDED.value, db.ops.adapt_datetimefield_value(now)]
    table = Delivery._meta.db_table
    with db.cursor() as cursor:
        cursor.execute(f"WITH v(id, ref, code) AS (VALUES {values}) "  # noqa: S608
                       f"UPDATE {table} SET status = %s, delivered_at = %s, last_error = '', claimed_at = NULL, "
                       f"remote_ref = v.ref, last_status_code = v.code FROM v WHERE {table}.id = v.id", params)


def _mark_succeeded_postgresql(items: list, now) -> None:
    # One statement inserts the attempts and updates the rows from one VALUES list (a data-modifying WITH): Django's
    # bulk_update writes a CASE per field and row, which PostgreSQL took about 200 ms to run for a batch of 50 under
    # load, and bulk_create's compile and model instances cost more CPU per row than the SQL.
    values = ", ".join(["(%s::bigint, %s, %s::integer, %s::timestamptz, %s::integer, %s)"] * len(items))
    params = []
    for delivery, outcome, started_at, duration_ms in items:
        params += [delivery.id, delivery.remote_ref, delivery.last_status_code, started_at, duration_ms,
                   outcome.detail[:EXCERPT_LIMIT]]
    params += [Outcome.SUCCESS, Delivery.Status.SUCCEEDED.value, now]
    with db.cursor() as cursor:
        cursor.execute(f"WITH v(id, ref, code, started_at, duration_ms, detail) AS (VALUES {values}), "  # noqa: S608
                       f"attempts AS (INSERT INTO {DeliveryAttempt._meta.db_table} "
                       f"(delivery_id, started_at, duration_ms, outcome, status_code, detail) "
                       f"SELECT id, started_at, duration_ms, %s, code, detail FROM v) "
                       f"UPDATE {Delivery._meta.db_table} AS d SET status = %s, delivered_at = %s, last_error = '', "
                       f"claimed_at = NULL, remote_ref = v.ref, last_status_code = v.code FROM v WHERE d.id = v.id",
                       params)


def hand_back(unsent: list[Delivery]) -> None:
    """Return claimed rows that were not tried: pending again, the try not counted. An empty enqueued_at lets the
    next sweep (or the one after a reconnect) count them as waiting at once."""
    if unsent:
        Delivery.objects.filter(id__in=[d.id for d in unsent], status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING, claimed_at=None, attempts=F("attempts") - 1, enqueued_at=None)
