"""What one send's outcome does to its row and its connection, shared by the per-row send and the connection pump.

Every outcome is sorted into exactly one class (see integrations.registry.Outcome): success stamps the row and the
connection; retryable backs off with jitter, then gives up; permanent gives up at once; halt stops the connection
(its credentials were refused) and leaves the row pending without using up a try.
"""

import logging
import random
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations import registry
from integrations.models import Backfill, Connection, Delivery, DeliveryAttempt
from integrations.registry import Outcome
from integrations.services.audit import audit_record
from integrations.services.notifications import connection_paused_tell
from integrations.tasks import backfills_schedule as backfills_schedule_task
from integrations.tasks import deliveries_schedule as deliveries_schedule_task
from integrations.tasks import delivery_send as delivery_send_task

logger = logging.getLogger("integrations.services.deliveries")  # The outbox's log events keep one logger name.

EXCERPT_LIMIT = 2000  # Characters of a response kept per attempt; enough to read an error, small enough to store.
COUNTDOWN_LIMIT_SECONDS = 60  # Longer waits are left to the sweeper, well inside the broker's visibility timeout.


TURN_FLAG_SECONDS = 10  # How long "a scheduler turn is queued or running" holds without a running turn renewing it.
HELPER_FLAG_SECONDS = 3  # At most one extra turn is asked for per lane in this many seconds.


def delivery_send_queue(delivery_id: int, countdown: float = 0) -> None:
    """Have one row sent. Now: through the scheduler, whose one queued turn serves every waiting row, so a backlog
    costs the broker one message, not one per row. Later (a retry's backoff, a dependency's wait): through the row's
    own trigger task, which starts a turn when it fires. With the broker down the row stays pending and unclaimed
    for the sweeper."""
    if not countdown:
        schedule_kick(lane=Delivery.Lane.LIVE)
        return
    try:
        delivery_send_task.apply_async((delivery_id,), countdown=countdown)
    except Exception:
        logger.warning("delivery.enqueue.failed", extra={"delivery_id": delivery_id}, exc_info=True)


def turn_flag(lane: str) -> str:
    return f"integrations:schedule:{lane}"


def schedule_kick(*, lane: str, helper: bool = False, countdown: float = 0) -> None:
    """Make sure a scheduler turn of `lane` is queued or running. A running turn renews the flag at every look at
    the ledger, so kicks during it cost one cache write and no message. `helper` asks for one more turn beside a
    running one that has work without pause (one connection's rows can keep two worker processes busy).
    `countdown` queues a turn for later (a budget paused after a 429) under its own flag, so kicks meanwhile
    still start a turn at once."""
    countdown = min(countdown, COUNTDOWN_LIMIT_SECONDS)
    suffix, ttl = (":helper", HELPER_FLAG_SECONDS) if helper else (":later", countdown) if countdown else ("", TURN_FLAG_SECONDS)
    key = turn_flag(lane) + suffix
    try:
        if not cache.add(key, "queued", timeout=max(1, int(ttl))):
            return
    except Exception:  # Without the cache, queue anyway: an extra turn costs one message and finds little.
        logger.warning("delivery.schedule.flag.failed", extra={"lane": lane}, exc_info=True)
    task = deliveries_schedule_task if lane == Delivery.Lane.LIVE else backfills_schedule_task
    try:
        task.apply_async(countdown=countdown or None)
    except Exception:
        logger.warning("delivery.schedule.enqueue.failed", extra={"lane": lane}, exc_info=True)
        if not suffix:
            turn_flag_clear(lane=lane)  # Nothing is queued after all; the next kick (or the sweep) tries again.


def turn_flag_take(*, lane: str) -> bool:
    """Claim the lane's flag for a turn about to run in this task; False when a turn is already queued or running."""
    try:
        return bool(cache.add(turn_flag(lane), "running", timeout=TURN_FLAG_SECONDS))
    except Exception:
        return True


def turn_flag_renew(*, lane: str) -> None:
    try:
        cache.set(turn_flag(lane), "running", timeout=TURN_FLAG_SECONDS)
    except Exception:
        pass  # Kicks then queue extra turns, which find little; sending goes on.


def turn_flag_clear(*, lane: str) -> None:
    try:
        cache.delete(turn_flag(lane))
    except Exception:
        pass


def kind_prepare(deliveries: list[Delivery]) -> dict[int, object]:
    """Payloads for a batch of one connection's claimed rows from its kind's prepare_batch, by delivery id; empty
    for a kind without one. A crashing prepare_batch prepares nothing: each row's own send then reads its data
    and sorts its outcome as it would alone."""
    if not deliveries:
        return {}
    kind = registry.get_kind(deliveries[0].connection.kind)
    if kind.prepare_batch is None:
        return {}
    try:
        return kind.prepare_batch(deliveries)
    except Exception:
        logger.exception("delivery.prepare.crashed", extra={"connection_id": deliveries[0].connection_id,
                                                            "deliveries": len(deliveries)})
        return {}


def kind_send(delivery: Delivery, payload: object = None) -> Outcome:
    """Send one claimed row through its connection's kind, with the payload kind_prepare made for it if any. A
    crashing sender is a retryable outcome."""
    kind = registry.get_kind(delivery.connection.kind)
    try:
        if payload is None:
            return kind.send(delivery.connection, delivery)
        return kind.send(delivery.connection, delivery, payload)
    except Exception as exc:  # A bug in a sender must not strand the row in SENDING.
        logger.exception("delivery.send.crashed", extra={"delivery_id": delivery.id})
        return Outcome(Outcome.RETRYABLE, detail=f"Internal error while sending: {type(exc).__name__}")


def retry_delay_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with ±20% jitter; a server's Retry-After wins when it is longer."""
    base = settings.DELIVERY_BACKOFF_BASE_SECONDS * (2 ** max(0, attempts - 1))
    delay = min(base, settings.DELIVERY_BACKOFF_MAX_SECONDS) * random.uniform(0.8, 1.2)
    return max(delay, retry_after or 0.0)


@transaction.atomic
def outcome_apply(*, delivery: Delivery, outcome: Outcome, started_at, duration_ms: int) -> None:
    """Record the attempt and move the row (and its connection, and its backfill's counters) by the outcome."""
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, started_at=started_at, duration_ms=duration_ms,
                                   outcome=outcome.kind, status_code=outcome.status_code, detail=outcome.detail[:EXCERPT_LIMIT])
    fields = {"last_status_code": outcome.status_code, "claimed_at": None}
    if outcome.kind == Outcome.SUCCESS:
        fields.update(status=Delivery.Status.SUCCEEDED, delivered_at=now, remote_ref=outcome.remote_ref[:200], last_error="")
        connection_succeeded(delivery.connection, now)
    elif outcome.kind == Outcome.HALT:
        # The credentials were refused: the row waits without using up a try until someone fixes them.
        fields.update(status=Delivery.Status.PENDING, attempts=F("attempts") - 1, last_error=outcome.detail,
                      enqueued_at=None)  # Not queued any more: the sweep after a reconnect picks it up at once.
        if not connection_halt(connection=delivery.connection, reason=outcome.detail):
            fields["enqueued_at"] = now  # Refused with credentials replaced meanwhile: send again with the new ones.
            transaction.on_commit(partial(delivery_send_queue, delivery.id))
    elif outcome.kind == Outcome.RETRYABLE and delivery.attempts < settings.DELIVERY_MAX_ATTEMPTS:
        delay = retry_delay_seconds(delivery.attempts, outcome.retry_after)
        fields.update(status=Delivery.Status.FAILED, last_error=outcome.detail,
                      next_attempt_at=now + timedelta(seconds=delay))
        if delay <= COUNTDOWN_LIMIT_SECONDS and delivery.lane == Delivery.Lane.LIVE:
            fields["enqueued_at"] = now + timedelta(seconds=delay)
            transaction.on_commit(partial(delivery_send_queue, delivery.id, countdown=delay))
        connection_failed(delivery.connection, now, outcome.detail)
    else:
        fields.update(status=Delivery.Status.DEAD, last_error=outcome.detail or "Failed permanently.")
        if outcome.kind == Outcome.RETRYABLE:
            connection_failed(delivery.connection, now, outcome.detail)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    if delivery.backfill_id and delivery.lane == Delivery.Lane.BACKFILL:
        counter = "succeeded" if outcome.kind == Outcome.SUCCESS else "failed" if fields["status"] == Delivery.Status.DEAD else None
        if counter:
            Backfill.objects.filter(pk=delivery.backfill_id).update(**{counter: F(counter) + 1})
    log = logger.info if outcome.kind == Outcome.SUCCESS else logger.warning
    log("delivery.attempt." + outcome.kind, extra={"delivery_id": delivery.id, "connection_id": delivery.connection_id,
                                                    "status": outcome.status_code, "attempt": delivery.attempts})


def connection_succeeded(connection: Connection, now) -> None:
    """A send worked: clear the connection's failure count and error status, stamp its last success."""
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


def connection_failed(connection: Connection, now, reason: str) -> None:
    """A send failed and may be retried: count it, show an error after a few, halt after hours of nothing but."""
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
