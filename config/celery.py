"""The Celery app: three queues, JSON only, and a beat schedule kept in code.

Deliveries, polls and backfills have their own queues so a million-row backfill never delays a refund.
Every task is idempotent (the database ledger decides what is due), which is what makes acks_late safe.
"""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")


class Queues:
    DELIVERIES = "deliveries"
    POLLS = "polls"
    BACKFILLS = "backfills"
    ALL = (DELIVERIES, POLLS, BACKFILLS)


app.conf.update(
    # Each queue gets its own exchange and key; bare Queue(name) would bind all three to the default key and
    # deliver every message to every queue.
    task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in Queues.ALL],
    task_default_queue=Queues.DELIVERIES,
    # Routing lives here rather than on each task (Celery 6 drops the task-level `queue` attribute).
    task_routes={
        "integrations.backfill*": {"queue": Queues.BACKFILLS},
        "strive.*": {"queue": Queues.POLLS},
        "strive_activity.*": {"queue": Queues.POLLS},
    },
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=15 * 60,
    task_soft_time_limit=14 * 60,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    timezone="UTC",
)


def _periodic(task: str, seconds: int, queue: str) -> dict:
    # A tick that waited in a backlog past the next one is useless, so each entry expires before its next run.
    return {"task": task, "schedule": seconds, "options": {"expires": max(1, int(seconds * 0.9)), "queue": queue}}


def beat_schedule() -> dict:
    from django.conf import settings

    sweep, poll = settings.SWEEP_INTERVAL_SECONDS, settings.POLL_INTERVAL_SECONDS
    return {
        "integrations-deliveries-sweep": _periodic("integrations.deliveries_sweep", sweep, Queues.DELIVERIES),
        "integrations-backfills-sweep": _periodic("integrations.backfills_sweep", sweep, Queues.BACKFILLS),
        "integrations-heartbeat": _periodic("integrations.beat_heartbeat", 30, Queues.DELIVERIES),
        "strive-poll-all": _periodic("strive.poll_all", poll, Queues.POLLS),
        "strive-activity-poll-all": _periodic("strive_activity.poll_all", poll, Queues.POLLS),
        "actionkit-compat-check-all": _periodic("actionkit.compat_check_all", 24 * 60 * 60, Queues.POLLS),
    }


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = beat_schedule()


app.autodiscover_tasks()

# Task correlation ids for the JSON logs and the worker/beat liveness beacons read by /healthz.
from integrations.observability import celery_context  # noqa: E402,F401
