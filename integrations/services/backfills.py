"""Backfills reuse the live path: planning writes ordinary outbox rows (live keys), and the send scheduler sends them.

Planning walks source rows after `Backfill.cursor` in chunks, so it resumes after a crash and uses constant memory.
Sending is a backfill-lane turn of the scheduler (integrations.services.pump) on the backfills queue: it serves
every connection with a running backfill in turn, takes a connection's live rows before its backfill rows, and
draws on the same budget as live sending, so live events are never stuck behind a backfill. The backfill's pump
task only watches: it keeps the heartbeat, starts scheduler turns and marks the backfill done.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations import registry
from integrations.models import Backfill, Connection, Delivery
from integrations.progress_words import count_of, eta_seconds, eta_words, percent_of
from integrations.services.audit import audit_record
from integrations.services.bulkload import WriteTurns
from integrations.services.deliveries import connection_is_sendable
from integrations.services.outcomes import schedule_kick
from integrations.services.pump import rows_due, schedule_turn
from integrations.tasks import backfill_plan as backfill_plan_task
from integrations.tasks import backfill_pump as backfill_pump_task

logger = logging.getLogger(__name__)

PLAN_CHUNK = 2000  # Source rows planned per step; bounded so memory stays flat at any backfill size.
TASK_BUDGET_SECONDS = settings.TASK_BUDGET_SECONDS  # A planner or pump task hands over to a fresh task after this long.
PUMP_CHECK_SECONDS = 5  # How often a running backfill's pump task looks at its progress and restarts sending.
# A backfill-lane turn runs longer than a live one: nothing urgent waits behind it on the backfills queue, and each
# hand-over between turns leaves a few of the budget's slots unused.
TURN_SECONDS = 10.0
STALE_AFTER_SECONDS = 180  # A backfill with no heartbeat for this long is restarted by the sweeper.


@transaction.atomic
def backfill_start(*, connection: Connection, params: dict, actor) -> Backfill:
    backfill = Backfill.objects.create(connection=connection, params=params, created_by=actor if getattr(
        actor, "is_authenticated", False) else None, heartbeat_at=timezone.now())
    audit_record(entity=connection.entity, actor=actor, action="backfill.started", target=f"backfill {backfill.pk}",
                 changes=params)
    transaction.on_commit(lambda: _queue(backfill_plan_task, backfill.pk))
    return backfill


def _queue(task, backfill_id: int, countdown: float | None = None) -> None:
    try:
        task.apply_async((backfill_id,), countdown=countdown)
    except Exception:
        logger.warning("backfill.enqueue.failed", extra={"backfill_id": backfill_id}, exc_info=True)


def backfill_plan(*, backfill_id: int) -> None:
    """Plan chunk after chunk until done or out of time; then start the pump or hand over to a new task."""
    deadline = time.monotonic() + TASK_BUDGET_SECONDS
    backfill = Backfill.objects.select_related("connection").filter(pk=backfill_id, status=Backfill.Status.PLANNING).first()
    if backfill is None:
        return
    planner, turns = registry.get_kind(backfill.connection.kind).plan_backfill_chunk, WriteTurns()
    while time.monotonic() < deadline:
        with transaction.atomic():
            backfill = Backfill.objects.select_for_update().get(pk=backfill_id)
            if backfill.status != Backfill.Status.PLANNING:
                return
            chunk = planner(backfill, backfill.cursor, PLAN_CHUNK)
            backfill.cursor, backfill.planned = chunk.last_source_id, backfill.planned + chunk.planned
            backfill.heartbeat_at = timezone.now()
            if chunk.done:
                backfill.status, backfill.planned_at = Backfill.Status.RUNNING, timezone.now()
            backfill.save(update_fields=["cursor", "planned", "heartbeat_at", "status", "planned_at"])
        if chunk.done:
            _queue(backfill_pump_task, backfill_id)
            return
        turns.committed()
    _queue(backfill_plan_task, backfill_id)


def backfill_pump(*, backfill_id: int) -> None:
    """Watch one running backfill: stamp its heartbeat, have the scheduler send its due rows, and mark it done
    when no open row is left. Queues itself again until then."""
    backfill = Backfill.objects.select_related("connection__entity").filter(pk=backfill_id).first()
    if backfill is None or backfill.status != Backfill.Status.RUNNING:
        return
    Backfill.objects.filter(pk=backfill_id).update(heartbeat_at=timezone.now())
    if not connection_is_sendable(backfill.connection):
        return  # The sweeper restarts the pump once the connection can send again.
    if _due(backfill).exists():
        schedule_kick(lane=Delivery.Lane.BACKFILL)
        if _due(backfill).exists():  # Asked again: a turn run inline (eager tasks) may have sent them all.
            _queue(backfill_pump_task, backfill_id, countdown=PUMP_CHECK_SECONDS)
            return
    _finish_or_wait(backfill)


def backfills_schedule() -> int:
    """One turn of the backfill lane of the send scheduler. Returns rows delivered."""
    return schedule_turn(lane=Delivery.Lane.BACKFILL, seconds=TURN_SECONDS)


def _due(backfill: Backfill):
    # The scheduler's own test of "due", so the pump never waits on rows a turn would not claim.
    return rows_due(lane=Delivery.Lane.BACKFILL, now=timezone.now()).filter(backfill=backfill)


def _finish_or_wait(backfill: Backfill) -> None:
    waiting = Delivery.objects.filter(backfill=backfill, lane=Delivery.Lane.BACKFILL, status__in=Delivery.OPEN)
    next_due = waiting.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if next_due is None:
        Backfill.objects.filter(pk=backfill.pk, status=Backfill.Status.RUNNING).update(
            status=Backfill.Status.DONE, finished_at=timezone.now())
        logger.info("backfill.finished", extra={"backfill_id": backfill.pk})
        return
    wait = max(1.0, min(60.0, (next_due - timezone.now()).total_seconds()))
    _queue(backfill_pump_task, backfill.pk, countdown=wait)


@transaction.atomic
def backfill_cancel(*, backfill: Backfill, actor) -> Backfill:
    """Stop a backfill. Rows it reopened that had been delivered before go back to delivered; the rest are cancelled."""
    if backfill.status not in (Backfill.Status.PLANNING, Backfill.Status.RUNNING):
        return backfill
    Backfill.objects.filter(pk=backfill.pk).update(status=Backfill.Status.CANCELLED, finished_at=timezone.now())
    open_rows = Delivery.objects.filter(backfill=backfill, lane=Delivery.Lane.BACKFILL, status__in=Delivery.DUE)
    open_rows.filter(delivered_at__isnull=False).update(status=Delivery.Status.SUCCEEDED, lane=Delivery.Lane.LIVE)
    open_rows.filter(delivered_at__isnull=True).update(status=Delivery.Status.CANCELLED)
    audit_record(entity=backfill.connection.entity, actor=actor, action="backfill.cancelled", target=f"backfill {backfill.pk}")
    backfill.refresh_from_db()
    return backfill


def backfills_sweep() -> int:
    """Restart planners and pumps that died with their worker."""
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    restarted = 0
    rows = Backfill.objects.filter(status__in=[Backfill.Status.PLANNING, Backfill.Status.RUNNING]).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
    for backfill in rows:
        Backfill.objects.filter(pk=backfill.pk).update(heartbeat_at=timezone.now())
        task = backfill_plan_task if backfill.status == Backfill.Status.PLANNING else backfill_pump_task
        _queue(task, backfill.pk)
        restarted += 1
    return restarted


def backfill_progress(backfill: Backfill) -> dict:
    """Sent / total with the time left at the connection's rate limit (integrations.progress_words).

    While planning, the total is not known: the card says "Planning…" rather than "0 of 0 sent".
    """
    done = backfill.succeeded + backfill.failed
    total = backfill.planned
    status, finished = backfill.status, backfill.status in (Backfill.Status.DONE, Backfill.Status.CANCELLED)
    percent = 100 if status == Backfill.Status.DONE else percent_of(done, total)
    eta = None
    if status == Backfill.Status.RUNNING:
        since = backfill.planned_at or backfill.created_at
        eta = eta_seconds(remaining=max(0, total - done), per_minute=backfill.connection.budget_per_minute, done=done,
                          elapsed=(timezone.now() - since).total_seconds())
    if status == Backfill.Status.PLANNING:
        headline = f"Planning: {total:,} found to send so far…" if total else "Planning…"
    elif not total:
        headline = "Nothing to send."
    else:
        failed = f", {backfill.failed:,} failed" if backfill.failed else ""
        headline = f"{count_of(backfill.succeeded, total)} sent{failed} ({percent}%)."
    return {"id": backfill.pk, "status": status, "status_label": backfill.get_status_display(),
            "sent": backfill.succeeded, "failed": backfill.failed, "total": total, "percent": percent,
            "eta_seconds": eta or 0, "eta_text": "" if finished else eta_words(eta), "headline": headline,
            "planning": status == Backfill.Status.PLANNING}
