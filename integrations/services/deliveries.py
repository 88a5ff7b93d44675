"""The outbox: enqueue in the event's transaction, claim with a conditional UPDATE, sort every outcome into one class
(integrations.services.outcomes).

Invariants:
- One row per (connection, key); enqueuing the same event again returns the existing row.
- A row is sent only after a conditional UPDATE moved it to SENDING, so overlapping turns and sweeps cost nothing.
- Nothing is sent for a disconnected or halted connection or a paused entity; the rows wait in the ledger.
- A row with `depends_on` waits until that row succeeded (a refund never overtakes its contribution).
- Sending is scheduled per connection, not per row (integrations.services.pump): a turn of the scheduler serves
  every connection with due rows at its own budget's pace, claims small batches (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL), and sends live rows before backfill rows within a connection's budget. A backlog costs the broker
  one queued turn, not one message per row, so it never stands in front of another tenant's work. Outcomes other
  than success go through outcome_apply (retries, halts); a worker killed mid-batch leaves at most a batch per
  connection in SENDING for the sweeper.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.models import Connection, Delivery
from integrations.services.audit import audit_record
from integrations.services.outcomes import (
    delivery_send_queue,
    kind_send,
    outcome_apply,
    schedule_kick,
    turn_flag_take,
)
from integrations.services.pump import deliveries_schedule
from integrations.tasks import deliveries_sweep as deliveries_sweep_task

logger = logging.getLogger(__name__)

DEPENDENCY_WAIT_SECONDS = 5  # How soon a row waiting on its contribution is looked at again.
# Kind-neutral: a refund waits on its contribution, a member's edit on the creation of its ActionKit user.
DEPENDENCY_LOST = "Not sent: the earlier event this one depends on failed for good (retry that one first)."


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


def delivery_send(*, delivery_id: int) -> int:
    """The row's trigger task, queued with a countdown for a retry's backoff or a dependency's wait (and by
    releases before the scheduler): when the row is due, run a live scheduler turn here unless one is queued or
    running already; the turn sends the row in its connection's order. Returns rows delivered by this task."""
    due = Delivery.objects.filter(pk=delivery_id, status__in=Delivery.DUE, next_attempt_at__lte=timezone.now())
    if not due.exists():
        return 0  # Sent already, or woken early: whoever makes it due again (backoff, sweep) starts a turn.
    if not turn_flag_take(lane=Delivery.Lane.LIVE):
        return 0  # The turn that holds the flag looks at the ledger again within a refresh.
    return deliveries_schedule()


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
            status=Delivery.Status.DEAD, last_error=DEPENDENCY_LOST)
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
    """The safety net: free stuck claims, count due live rows not queued for a while, give up on rows whose
    dependency was never delivered, and start a scheduler turn."""
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
    orphans = Delivery.objects.filter(status__in=Delivery.DUE, depends_on__status__in=(
        Delivery.Status.DEAD, Delivery.Status.CANCELLED)).update(
        status=Delivery.Status.DEAD, last_error=DEPENDENCY_LOST)
    # One kick serves every due row: the turn finds them in the ledger. It is cheap when nothing is due, and it
    # restarts sending after a worker died holding the turn's flag.
    schedule_kick(lane=Delivery.Lane.LIVE)
    if ids or freed or orphans:
        logger.info("delivery.sweep", extra={"requeued": len(ids), "freed": freed, "orphans": orphans})
    return {"requeued": len(ids), "freed": freed}
