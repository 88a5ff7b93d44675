"""The outbox: enqueue in the event's transaction, claim with a conditional UPDATE, sort every outcome into one class
(integrations.services.outcomes).

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
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.models import Connection, Delivery
from integrations.registry import Outcome
from integrations.services.audit import audit_record
from integrations.services.outcomes import delivery_send_queue, kind_send, outcome_apply
from integrations.services.pump import connection_pump
from integrations.tasks import deliveries_sweep as deliveries_sweep_task

logger = logging.getLogger(__name__)

DEPENDENCY_WAIT_SECONDS = 5  # How soon a row waiting on its contribution is looked at again.


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
        transaction.on_commit(partial(delivery_send_queue, delivery.id))
    return delivery, created


@dataclass(frozen=True)
class DeliveryRow:
    """One outbox row for deliveries_enqueue_bulk: delivery_enqueue's arguments, without the connection."""

    key: str
    event_type: str
    payload: dict
    source_id: int | None = None
    depends_on_id: int | None = None
    options: dict | None = None


def deliveries_enqueue_bulk(*, connection: Connection, rows: list[DeliveryRow]) -> list[Delivery]:
    """Write many live outbox rows inside the caller's transaction; returns the rows it created.

    delivery_enqueue's rules, for a chunk of an import: a key already present is left as it is, and nothing is
    queued for a connection that cannot send. Instead of one task per row, one send is queued after commit for the
    connection: that task pumps the connection's other due live rows (integrations.services.pump), and the sweep
    is the net for the rest, so a 2,000-row import costs the broker a message per chunk, not one per row.
    """
    keys = [row.key for row in rows]
    present = set(Delivery.objects.filter(connection=connection, key__in=keys).values_list("key", flat=True))
    now, sendable = timezone.now(), connection_is_sendable(connection)
    new = {row.key: row for row in rows if row.key not in present}
    Delivery.objects.bulk_create([Delivery(
        connection=connection, key=row.key, event_type=row.event_type, payload=row.payload, source_id=row.source_id,
        depends_on_id=row.depends_on_id, options=row.options or {}, next_attempt_at=now,
        enqueued_at=now if sendable else None) for row in new.values()], ignore_conflicts=True, batch_size=500)
    created = list(Delivery.objects.filter(connection=connection, key__in=list(new), created_at__gte=now).order_by("id"))
    first = next((d.id for d in created if d.depends_on_id is None), created[0].id if created else None)
    if sendable and first is not None:
        transaction.on_commit(partial(delivery_send_queue, first))
    return created


def connection_is_sendable(connection: Connection) -> bool:
    return connection.status != Connection.Status.DISCONNECTED and not connection.halted and not connection.entity.paused


def delivery_send_one(*, delivery_id: int) -> str | None:
    """Try to deliver this row alone (backfills pace their rows one by one). Returns the outcome kind, or None when
    there was nothing to do."""
    return _delivery_send(delivery_id)[0]


def delivery_send(*, delivery_id: int) -> str | None:
    """The live task: deliver this row and, when that worked, the connection's other due live rows."""
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
    outcome = kind_send(delivery)
    outcome_apply(delivery=delivery, outcome=outcome, started_at=now, duration_ms=int((time.monotonic() - started) * 1000))
    return outcome.kind, delivery


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
        delivery_send_queue(delivery.id, countdown=DEPENDENCY_WAIT_SECONDS)
    return False


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
        transaction.on_commit(partial(delivery_send_queue, delivery.pk))
    delivery.refresh_from_db()
    return delivery


def deliveries_sweep_queue() -> None:
    """Sweep now rather than at the next periodic sweep, as after a reconnect or a resume; without a broker, beat's
    sweep will."""
    try:
        deliveries_sweep_task.delay()
    except Exception:
        pass


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
        delivery_send_queue(delivery_id)
    if ids or freed:
        logger.info("delivery.sweep", extra={"requeued": len(ids), "freed": freed})
    return {"requeued": len(ids), "freed": freed}
