"""The outbox: enqueue in the event's transaction, claim with a conditional UPDATE, sort every outcome into one class.

Invariants:
- One row per (connection, key); enqueuing the same event again returns the existing row.
- A row is sent only after a conditional UPDATE moved it to SENDING, so overlapping tasks and sweeps cost nothing.
- Nothing is sent for a disconnected or halted connection or a paused entity; the rows wait in the ledger.
- A row with `depends_on` waits until that row succeeded (a refund never overtakes its contribution).
- After a successful send, the task keeps going as a connection pump: it claims small batches of other due live rows
  of the same connection and sends them, so a backlog is not paid for one task and nine queries per row. Every row
  still has its own queued task, so the pump only gets ahead of them (their tasks find the rows finished). It
  re-checks the connection between batches and stops at the first outcome that is not a success, leaving retries,
  halts and waits to the per-row path. A worker killed mid-batch leaves at most a batch in SENDING for the sweeper.
"""

import logging
import random
import time
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations import registry
from integrations.models import Backfill, Connection, Delivery, DeliveryAttempt
from integrations.registry import Outcome
from integrations.services.audit import audit_record
from integrations.services.notifications import connection_paused_tell

logger = logging.getLogger(__name__)

EXCERPT_LIMIT = 2000  # Characters of a response kept per attempt; enough to read an error, small enough to store.
DEPENDENCY_WAIT_SECONDS = 5  # How soon a row waiting on its contribution is looked at again.
COUNTDOWN_LIMIT_SECONDS = 60  # Longer waits are left to the sweeper, well inside the broker's visibility timeout.


def delivery_enqueue(*, connection: Connection, key: str, event_type: str, payload: dict, source_id: int | None = None,
                     depends_on: Delivery | None = None, options: dict | None = None) -> tuple[Delivery, bool]:
    """Write the live outbox row inside the caller's transaction and queue its send after commit."""
    now = timezone.now()
    sendable = connection_is_sendable(connection)
    # Rows for a disconnected or halted connection are not queued; leaving enqueued_at empty lets the sweep that a
    # reconnect kicks off send them at once instead of waiting out the re-queue window.
    delivery, created = Delivery.objects.get_or_create(
        connection=connection, key=key,
        defaults={"event_type": event_type, "payload": payload, "source_id": source_id, "depends_on": depends_on,
                  "options": options or {}, "next_attempt_at": now, "enqueued_at": now if sendable else None},
    )
    if created and sendable:
        transaction.on_commit(partial(_queue_send, delivery.id))
    return delivery, created


def _queue_send(delivery_id: int, countdown: float = 0) -> None:
    from integrations.tasks import delivery_send

    try:
        delivery_send.apply_async((delivery_id,), countdown=countdown or None)
    except Exception:  # The broker is down: the row is pending and unclaimed, so the sweeper will find it.
        logger.warning("delivery.enqueue.failed", extra={"delivery_id": delivery_id}, exc_info=True)


def connection_is_sendable(connection: Connection) -> bool:
    return connection.status != Connection.Status.DISCONNECTED and not connection.halted and not connection.entity.paused


def delivery_send(*, delivery_id: int) -> str | None:
    """Try to deliver one row. Returns the outcome kind, or None when there was nothing to do."""
    return _delivery_send(delivery_id)[0]


def delivery_send_and_pump(*, delivery_id: int) -> str | None:
    """The live task: deliver this row and, when that worked, the connection's other due live rows."""
    from integrations.services.pump import connection_pump

    state = _task_state(delivery_id)
    if state is None:
        return None
    due, connection_id, backlog = state
    if not due:
        # Most tasks of a backlog find their row already sent by a pump. If due rows remain, this worker pumps too
        # (the other pump skips the rows it holds), instead of draining finished tasks while one pump sends.
        if backlog:
            connection_pump(connection_id=connection_id)
        return None
    kind, delivery = _delivery_send(delivery_id)
    if kind == Outcome.SUCCESS and delivery.lane == Delivery.Lane.LIVE:
        connection_pump(connection_id=delivery.connection_id)
    return kind


def _task_state(delivery_id: int) -> tuple[bool, int, bool] | None:
    """(row due, its connection, other live rows of that connection waiting) in one indexed read, without the ORM."""
    table = Delivery._meta.db_table
    sql = (f"SELECT d.status, d.connection_id, EXISTS (SELECT 1 FROM {table} o WHERE o.connection_id = d.connection_id "  # noqa: S608
           f"AND o.status = %s AND o.lane = %s AND o.depends_on_id IS NULL AND o.next_attempt_at <= %s) "
           f"FROM {table} d WHERE d.id = %s")
    with db.cursor() as cursor:
        cursor.execute(sql, [Delivery.Status.PENDING.value, Delivery.Lane.LIVE.value, timezone.now(), delivery_id])
        row = cursor.fetchone()
    return None if row is None else (row[0] in Delivery.DUE, row[1], bool(row[2]))


def _delivery_send(delivery_id: int) -> tuple[str | None, Delivery | None]:
    delivery = Delivery.objects.select_related("connection__entity", "depends_on").filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in Delivery.DUE or not connection_is_sendable(delivery.connection):
        return None, delivery
    if delivery.depends_on_id and not _dependency_ready(delivery):
        return None, delivery
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=delivery.status, attempts=delivery.attempts,
                                      next_attempt_at__lte=now).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return None, delivery  # Another worker holds it, it is finished, changed, or not due yet.
    # The claim matched the status and attempts just read, so the row is the one loaded; no re-read needed.
    delivery.status, delivery.claimed_at, delivery.attempts = Delivery.Status.SENDING, now, delivery.attempts + 1
    started = time.monotonic()
    outcome = _send_through_kind(delivery)
    _apply_outcome(delivery=delivery, outcome=outcome, started_at=now, duration_ms=int((time.monotonic() - started) * 1000))
    return outcome.kind, delivery


def _send_through_kind(delivery: Delivery) -> Outcome:
    kind = registry.get_kind(delivery.connection.kind)
    try:
        return kind.send(delivery.connection, delivery)
    except Exception as exc:  # A bug in a sender must not strand the row in SENDING.
        logger.exception("delivery.send.crashed", extra={"delivery_id": delivery.id})
        return Outcome(Outcome.RETRYABLE, detail=f"Internal error while sending: {type(exc).__name__}")


def _dependency_ready(delivery: Delivery) -> bool:
    dependency = delivery.depends_on
    if dependency.status == Delivery.Status.SUCCEEDED:
        return True
    if dependency.status in (Delivery.Status.DEAD, Delivery.Status.CANCELLED):
        Delivery.objects.filter(pk=delivery.pk, status__in=Delivery.DUE).update(
            status=Delivery.Status.DEAD, last_error="The contribution this event refers to was never delivered.")
        return False
    wait_until = timezone.now() + timedelta(seconds=DEPENDENCY_WAIT_SECONDS)
    Delivery.objects.filter(pk=delivery.pk, status__in=Delivery.DUE).update(next_attempt_at=wait_until, enqueued_at=wait_until)
    if delivery.lane == Delivery.Lane.LIVE:
        _queue_send(delivery.id, countdown=DEPENDENCY_WAIT_SECONDS)
    return False


def retry_delay_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with ±20% jitter; a server's Retry-After wins when it is longer."""
    base = settings.DELIVERY_BACKOFF_BASE_SECONDS * (2 ** max(0, attempts - 1))
    delay = min(base, settings.DELIVERY_BACKOFF_MAX_SECONDS) * random.uniform(0.8, 1.2)
    return max(delay, retry_after or 0.0)


@transaction.atomic
def _apply_outcome(*, delivery: Delivery, outcome: Outcome, started_at, duration_ms: int) -> None:
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, started_at=started_at, duration_ms=duration_ms,
                                   outcome=outcome.kind, status_code=outcome.status_code, detail=outcome.detail[:EXCERPT_LIMIT])
    fields = {"last_status_code": outcome.status_code, "claimed_at": None}
    if outcome.kind == Outcome.SUCCESS:
        fields.update(status=Delivery.Status.SUCCEEDED, delivered_at=now, remote_ref=outcome.remote_ref[:200], last_error="")
        _connection_succeeded(delivery.connection, now)
    elif outcome.kind == Outcome.HALT:
        # The credentials were refused: the row waits without using up a try until someone fixes them.
        fields.update(status=Delivery.Status.PENDING, attempts=F("attempts") - 1, last_error=outcome.detail,
                      enqueued_at=None)  # Not queued any more: the sweep after a reconnect picks it up at once.
        if not connection_halt(connection=delivery.connection, reason=outcome.detail):
            fields["enqueued_at"] = now  # Refused with credentials replaced meanwhile: send again with the new ones.
            transaction.on_commit(partial(_queue_send, delivery.id))
    elif outcome.kind == Outcome.RETRYABLE and delivery.attempts < settings.DELIVERY_MAX_ATTEMPTS:
        delay = retry_delay_seconds(delivery.attempts, outcome.retry_after)
        fields.update(status=Delivery.Status.FAILED, last_error=outcome.detail,
                      next_attempt_at=now + timedelta(seconds=delay))
        if delay <= COUNTDOWN_LIMIT_SECONDS and delivery.lane == Delivery.Lane.LIVE:
            fields["enqueued_at"] = now + timedelta(seconds=delay)
            transaction.on_commit(partial(_queue_send, delivery.id, countdown=delay))
        _connection_failed(delivery.connection, now, outcome.detail)
    else:
        fields.update(status=Delivery.Status.DEAD, last_error=outcome.detail or "Failed permanently.")
        if outcome.kind == Outcome.RETRYABLE:
            _connection_failed(delivery.connection, now, outcome.detail)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    if delivery.backfill_id and delivery.lane == Delivery.Lane.BACKFILL:
        counter = "succeeded" if outcome.kind == Outcome.SUCCESS else "failed" if fields["status"] == Delivery.Status.DEAD else None
        if counter:
            Backfill.objects.filter(pk=delivery.backfill_id).update(**{counter: F(counter) + 1})
    log = logger.info if outcome.kind == Outcome.SUCCESS else logger.warning
    log("delivery.attempt." + outcome.kind, extra={"delivery_id": delivery.id, "connection_id": delivery.connection_id,
                                                    "status": outcome.status_code, "attempt": delivery.attempts})


def _connection_succeeded(connection: Connection, now) -> None:
    # Writing the connection row on every success would serialize workers on one row lock, so only write on change
    # or every few seconds. The row as loaded with the delivery is fresh enough to skip even the query: a failure
    # recorded meanwhile by another worker is cleared by the next success that loads it.
    stale = now - timedelta(seconds=5)
    if (connection.consecutive_failures == 0 and connection.status == Connection.Status.CONNECTED
            and connection.last_success_at and connection.last_success_at >= stale):
        return
    connection.last_success_at = now  # Within this batch or task, the write below is done once.
    Connection.objects.filter(pk=connection.pk, halted=False).filter(
        Q(consecutive_failures__gt=0) | Q(status=Connection.Status.ERROR) | Q(last_success_at__isnull=True) | Q(last_success_at__lt=stale)
    ).exclude(status=Connection.Status.DISCONNECTED).update(
        consecutive_failures=0, first_failure_at=None, last_success_at=now, status=Connection.Status.CONNECTED, status_reason="")


def _connection_failed(connection: Connection, now, reason: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    Connection.objects.filter(pk=connection.pk, first_failure_at__isnull=True).update(first_failure_at=now)
    Connection.objects.filter(
        pk=connection.pk, consecutive_failures__gte=settings.CONNECTION_ERROR_AFTER_FAILURES,
        status=Connection.Status.CONNECTED,
    ).update(status=Connection.Status.ERROR, status_reason=reason or "ActionKit is not answering; we keep retrying.")
    hours = settings.CONNECTION_PAUSE_AFTER_HOURS
    if Connection.objects.filter(pk=connection.pk, halted=False,
                                 first_failure_at__lte=now - timedelta(hours=hours)).exists():
        connection_halt(connection=connection, reason=(
            f"Paused: every delivery has failed for {hours:g} hours ({reason or 'no answer'}). Waiting events are "
            "kept; reconnect once ActionKit answers again to send them."))


def connection_halt(*, connection: Connection, reason: str) -> bool:
    """Stop all sending for a connection whose credentials were refused (or that failed for days), say so on its
    details page and email the people who can fix it.

    `connection` is the row as the refused request loaded it. A reconnect while that request was in flight put new
    credentials in place (a new connected_at), so the refusal says nothing about them: nothing is halted, and this
    returns False so the caller can try again at once. True when the connection is (now) halted.
    """
    updated = Connection.objects.filter(pk=connection.pk, halted=False, connected_at=connection.connected_at).exclude(
        status=Connection.Status.DISCONNECTED).update(halted=True, status=Connection.Status.ERROR, status_reason=reason)
    if updated:
        audit_record(entity=connection.entity, actor=None, action="connection.halted", target=connection.kind,
                     changes={"reason": reason})
        logger.warning("connection.halted", extra={"connection_id": connection.pk})
        connection_paused_tell(connection=connection, reason=reason)
        return True
    return not Connection.objects.filter(pk=connection.pk).exclude(connected_at=connection.connected_at).exists()


@transaction.atomic
def delivery_retry(*, delivery: Delivery, actor) -> Delivery:
    """Send a failed or dead row again now. Shared by the details page and the admin action."""
    if delivery.status not in (Delivery.Status.FAILED, Delivery.Status.DEAD, Delivery.Status.CANCELLED):
        return delivery
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PENDING, next_attempt_at=now, enqueued_at=now,
                                                   attempts=0)
    audit_record(entity=delivery.connection.entity, actor=actor, action="delivery.retried", target=delivery.key)
    if connection_is_sendable(delivery.connection):
        transaction.on_commit(partial(_queue_send, delivery.pk))
    delivery.refresh_from_db()
    return delivery


SWEEP_BATCH = 2000  # Rows re-queued per sweep; a larger backlog drains over the next sweeps.


def deliveries_sweep(*, now=None) -> dict[str, int]:
    """The safety net: free stuck claims and re-queue due live rows whose task was lost or never sent."""
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.DELIVERY_CLAIM_TIMEOUT_SECONDS)
    # A worker died mid-send. Sending again is safe: the remote side de-duplicates on the line item.
    freed = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stuck_before).update(
        status=Delivery.Status.FAILED, next_attempt_at=now, claimed_at=None, enqueued_at=None,
        last_error="The worker stopped mid-send.")
    requeue_before = now - timedelta(seconds=max(30, settings.SWEEP_INTERVAL_SECONDS))
    due = (Delivery.objects.filter(status__in=Delivery.DUE, next_attempt_at__lte=now, lane=Delivery.Lane.LIVE)
           .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before))
           .exclude(connection__status=Connection.Status.DISCONNECTED)
           .filter(connection__halted=False, connection__entity__paused=False)
           .order_by("next_attempt_at").values_list("id", flat=True)[:SWEEP_BATCH])
    ids = list(due)
    Delivery.objects.filter(id__in=ids).update(enqueued_at=now)
    for delivery_id in ids:
        _queue_send(delivery_id)
    if ids or freed:
        logger.info("delivery.sweep", extra={"requeued": len(ids), "freed": freed})
    return {"requeued": len(ids), "freed": freed}
