"""Thin tasks: they take ids, refetch, and call one service. Names are permanent."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from integrations.services import backfills, deliveries

BEAT_HEARTBEAT_KEY = "integrations:beat-heartbeat"


@shared_task(name="integrations.delivery_send")
def delivery_send(delivery_id: int) -> None:
    deliveries.delivery_send_and_pump(delivery_id=delivery_id)


@shared_task(name="integrations.deliveries_sweep")
def deliveries_sweep() -> None:
    deliveries.deliveries_sweep()


@shared_task(name="integrations.backfill_plan")
def backfill_plan(backfill_id: int) -> None:
    backfills.backfill_plan(backfill_id=backfill_id)


@shared_task(name="integrations.backfill_pump")
def backfill_pump(backfill_id: int) -> None:
    backfills.backfill_pump(backfill_id=backfill_id)


@shared_task(name="integrations.backfills_sweep")
def backfills_sweep() -> None:
    backfills.backfills_sweep()


@shared_task(name="integrations.beat_heartbeat")
def beat_heartbeat() -> None:
    # Written by a worker when beat's tick arrives, so /healthz sees both beat and a worker alive.
    cache.set(BEAT_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=3600)
