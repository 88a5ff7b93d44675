"""The connection pump: after a successful live send, drain the connection's other due live rows in small batches.

Per row, the per-task path pays a broker round trip, a load, a claim, an attempt insert, a row update and a
transaction. A pump claims up to PUMP_BATCH rows at once (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so pumps in
other workers take the next rows instead of waiting), loads them with their connection in one query, and records
their successes with one insert and two updates. The rules of ``integrations.services.deliveries`` still hold:
claims are conditional, the claim query re-checks that the connection is sendable before every batch, rows with a
``depends_on`` and failed rows are left to their own tasks, and the first outcome that is not a success is recorded
by the per-row code, the rest of the batch is handed back, and the pump stops.
"""

import logging
import time

from django.db import connection as db
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import Connection, Delivery, DeliveryAttempt
from integrations.registry import Outcome
from integrations.services.outcomes import EXCERPT_LIMIT, connection_succeeded, kind_send, outcome_apply

logger = logging.getLogger("integrations.services.deliveries")

PUMP_BATCH = 20  # Rows claimed at once; a worker killed mid-batch strands at most this many until the sweep.
PUMP_SECONDS = 10.0  # A pump hands its worker back after this long; rows left over still have their own tasks.


def connection_pump(*, connection_id: int, seconds: float = PUMP_SECONDS) -> int:
    """Send due live rows of one connection until none are left, one fails, or time is up. Returns rows delivered."""
    delivered, stop_at = 0, time.monotonic() + seconds
    while time.monotonic() < stop_at:
        batch = _claim_batch(connection_id)
        if not batch:
            break
        sent, stopped = _send_batch(batch)
        delivered += sent
        if stopped:
            break
    return delivered


def _claim_batch(connection_id: int) -> list[Delivery]:
    now = timezone.now()
    due = (Delivery.objects.filter(connection_id=connection_id, lane=Delivery.Lane.LIVE, status=Delivery.Status.PENDING,
                                   depends_on__isnull=True, next_attempt_at__lte=now, connection__halted=False,
                                   connection__entity__paused=False)
           .exclude(connection__status=Connection.Status.DISCONNECTED).order_by("id"))
    claim = {"status": Delivery.Status.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    if db.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True, of=("self",)).values_list("id", flat=True)[:PUMP_BATCH])
            if ids:
                Delivery.objects.filter(id__in=ids).update(**claim)
    else:  # SQLite: no row locks, so each row is claimed by its own conditional UPDATE.
        ids = [pk for pk in due.values_list("id", flat=True)[:PUMP_BATCH]
               if Delivery.objects.filter(pk=pk, status=Delivery.Status.PENDING).update(**claim) == 1]
    if not ids:
        return []
    return list(Delivery.objects.select_related("connection__entity").filter(id__in=ids).order_by("id"))


def _send_batch(batch: list[Delivery]) -> tuple[int, bool]:
    """Send each claimed row in order; returns (delivered, stopped early)."""
    succeeded = []
    for index, delivery in enumerate(batch):
        delivery.connection = batch[0].connection  # One connection object per batch, so bookkeeping is shared.
        started_at, started = timezone.now(), time.monotonic()
        outcome = kind_send(delivery)
        duration_ms = int((time.monotonic() - started) * 1000)
        if outcome.kind == Outcome.SUCCESS:
            succeeded.append((delivery, outcome, started_at, duration_ms))
            continue
        _record_successes(succeeded)
        outcome_apply(delivery=delivery, outcome=outcome, started_at=started_at, duration_ms=duration_ms)
        _hand_back(batch[index + 1:])
        return len(succeeded), True
    _record_successes(succeeded)
    return len(succeeded), False


@transaction.atomic
def _record_successes(items: list) -> None:
    if not items:
        return
    now = timezone.now()
    DeliveryAttempt.objects.bulk_create([
        DeliveryAttempt(delivery=delivery, started_at=started_at, duration_ms=duration_ms, outcome=outcome.kind,
                        status_code=outcome.status_code, detail=outcome.detail[:EXCERPT_LIMIT])
        for delivery, outcome, started_at, duration_ms in items])
    rows = []
    for delivery, outcome, _, _ in items:
        delivery.remote_ref, delivery.last_status_code = outcome.remote_ref[:200], outcome.status_code
        rows.append(delivery)
    Delivery.objects.filter(id__in=[d.id for d in rows]).update(
        status=Delivery.Status.SUCCEEDED, delivered_at=now, last_error="", claimed_at=None)
    Delivery.objects.bulk_update(rows, ["remote_ref", "last_status_code"])
    connection_succeeded(rows[0].connection, now)
    for delivery, outcome, _, _ in items:
        logger.info("delivery.attempt.success", extra={"delivery_id": delivery.id, "connection_id": delivery.connection_id,
                                                       "status": outcome.status_code, "attempt": delivery.attempts})


def _hand_back(unsent: list[Delivery]) -> None:
    """Return claimed rows that were not tried: pending again, the try not counted. Their own tasks are still queued;
    an empty enqueued_at also lets the next sweep (or the one after a reconnect) queue them at once."""
    if unsent:
        Delivery.objects.filter(id__in=[d.id for d in unsent], status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING, claimed_at=None, attempts=F("attempts") - 1, enqueued_at=None)
