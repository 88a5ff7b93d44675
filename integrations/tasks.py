"""Thin tasks: they take ids, refetch, and call the service of the same name. Names are permanent.

Services import these tasks at module top and queue them on commit; each task imports its service inside its body,
so imports run one way (services -> tasks) while a task still calls its service (HackSoft's Celery rule).
"""

from celery import shared_task

from integrations.observability import beacons


@shared_task(name="integrations.delivery_send")
def delivery_send(delivery_id: int) -> None:
    from integrations.services import deliveries

    deliveries.delivery_send(delivery_id=delivery_id)


@shared_task(name="integrations.deliveries_sweep")
def deliveries_sweep() -> None:
    from integrations.services import deliveries

    deliveries.deliveries_sweep()


@shared_task(name="integrations.backfill_plan")
def backfill_plan(backfill_id: int) -> None:
    from integrations.services import backfills

    backfills.backfill_plan(backfill_id=backfill_id)


@shared_task(name="integrations.backfill_pump")
def backfill_pump(backfill_id: int) -> None:
    from integrations.services import backfills

    backfills.backfill_pump(backfill_id=backfill_id)


@shared_task(name="integrations.backfills_sweep")
def backfills_sweep() -> None:
    from integrations.services import backfills

    backfills.backfills_sweep()


@shared_task(name="integrations.beat_heartbeat")
def beat_heartbeat() -> None:
    beacons.beat_heartbeat()


@shared_task(name="integrations.queue_heartbeat")
def queue_heartbeat(queue: str) -> None:
    beacons.queue_heartbeat(queue)


@shared_task(name="integrations.import_job_run")
def import_job_run(job_id: int) -> None:
    from integrations.services import imports

    imports.import_job_run(job_id=job_id)


@shared_task(name="integrations.import_jobs_sweep")
def import_jobs_sweep() -> None:
    from integrations.services import imports

    imports.import_jobs_sweep()


@shared_task(name="integrations.deliveries_schedule")
def deliveries_schedule() -> None:
    # One turn of the live send scheduler; it queues the next turn itself while rows are due.
    from integrations.services import pump

    pump.deliveries_schedule()


@shared_task(name="integrations.backfills_schedule")
def backfills_schedule() -> None:
    # One turn of the backfill send scheduler (the backfills queue), drawing on the same budgets as live rows.
    from integrations.services import backfills

    backfills.backfills_schedule()
