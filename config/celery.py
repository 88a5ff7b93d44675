"""The Celery app: one queue per kind of work, JSON only, and a beat schedule kept in code.

Live work, housekeeping, polls, backfills and imports have their own queues, consumed by separate worker pools
(docs/operations.md), so a million-row backfill or a 10,000-user initial sync never delays a refund. Every task
runs for about TASK_BUDGET_SECONDS and then hands over to a fresh task, so no pool is held for minutes.
Every task is idempotent (the database ledger decides what is due), which is what makes acks_late safe.
"""

import os
from pathlib import Path

from celery import Celery, Task
from django.db import OperationalError
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

LOCKED_RETRY_SECONDS = 5  # On SQLite, how long a task that met "database is locked" waits before it runs again.
LOCKED_RETRIES = 6


class AppTask(Task):
    """Every task's base. On SQLite a writer that waited out the busy timeout fails with "database is locked"; the
    task runs again a little later rather than waiting minutes for a sweep. Tasks are idempotent, so a rerun is safe."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except OperationalError as exc:
            if "database is locked" not in str(exc):
                raise
            raise self.retry(exc=exc, countdown=LOCKED_RETRY_SECONDS, max_retries=LOCKED_RETRIES) from exc


app = Celery("config", task_cls=AppTask)
app.config_from_object("django.conf:settings", namespace="CELERY")


class Queues:
    LIVE = "live"  # Live deliveries, member pushes, page-webhook events, automation sends: seconds matter.
    HOUSEKEEPING = "housekeeping"  # Beat's heartbeat and the sweeps: short, and they prove beat and a worker live.
    POLLS = "polls"  # Reading ActionKit: user, page, action and usergroup polls and imports.
    BACKFILLS = "backfills"  # Backfill planning and pumping.
    IMPORTS = "imports"  # CSV imports run in the background.
    ALL = (LIVE, HOUSEKEEPING, POLLS, BACKFILLS, IMPORTS)


# Every task by its permanent name. Exact names rather than globs, so a new task is routed on purpose:
# tests/integrations/test_celery_routing.py fails for a task missing here.
TASK_QUEUES = {
    "integrations.delivery_send": Queues.LIVE,
    "integrations.deliveries_schedule": Queues.LIVE,
    "strive_activity.webhook_events_process": Queues.LIVE,
    "strive_activity.automation_runs_send": Queues.LIVE,
    "integrations.beat_heartbeat": Queues.HOUSEKEEPING,
    "integrations.queue_heartbeat": Queues.LIVE,  # Beat sends it to each queue in turn (beat_schedule).
    "integrations.deliveries_sweep": Queues.HOUSEKEEPING,
    "integrations.backfills_sweep": Queues.HOUSEKEEPING,
    "integrations.import_jobs_sweep": Queues.HOUSEKEEPING,
    "strive.poll_all": Queues.POLLS,
    "strive.users_poll": Queues.POLLS,
    "strive_activity.poll_all": Queues.POLLS,
    "strive_activity.poll_connection": Queues.POLLS,
    "strive_activity.page_import": Queues.POLLS,
    "strive_activity.usergroup_refresh": Queues.POLLS,
    "integrations.backfill_plan": Queues.BACKFILLS,
    "integrations.backfill_pump": Queues.BACKFILLS,
    "integrations.backfills_schedule": Queues.BACKFILLS,
    "integrations.import_job_run": Queues.IMPORTS,
    "actionkit.compat_check_all": Queues.POLLS,
    "actionkit.compat_check": Queues.POLLS,
}

# A task checks its TASK_BUDGET_SECONDS between steps, and one step may be a single ActionKit request that waits for
# the rate limiter (up to 60 s) and then its read timeout (30 s). These limits only catch a task that stopped checking.
TASK_SOFT_TIME_LIMIT_SECONDS = 100
TASK_TIME_LIMIT_SECONDS = 120
# Except where one step is a whole listing that cannot be cut yet: refreshing a synced usergroup reads all its member
# ids in one go, and at 1,000 records a minute a 10,000-member group takes 10 minutes. They run on the bulk pool only.
LONG_READ_LIMITS = {"soft_time_limit": 14 * 60, "time_limit": 15 * 60}
TASK_ANNOTATIONS = {"strive_activity.usergroup_refresh": LONG_READ_LIMITS,
                    "strive_activity.poll_connection": LONG_READ_LIMITS}


app.conf.update(
    # Each queue gets its own exchange and key; bare Queue(name) would bind all three to the default key and
    # deliver every message to every queue.
    task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in Queues.ALL],
    task_default_queue=Queues.LIVE,
    # Routing lives here rather than on each task (Celery 6 drops the task-level `queue` attribute).
    task_routes={name: {"queue": queue} for name, queue in TASK_QUEUES.items()},
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=TASK_TIME_LIMIT_SECONDS,
    task_annotations=TASK_ANNOTATIONS,
    task_soft_time_limit=TASK_SOFT_TIME_LIMIT_SECONDS,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    timezone="UTC",
)


HEARTBEAT_SECONDS = 30  # How often beat sends each queue its heartbeat; /healthz allows a few missed ones.


def _periodic(task: str, seconds: int, queue: str, args: tuple = ()) -> dict:
    # A tick that waited in a backlog past the next one is useless, so each entry expires before its next run.
    return {"task": task, "schedule": seconds, "args": args,
            "options": {"expires": max(1, int(seconds * 0.9)), "queue": queue}}


def beat_schedule() -> dict:
    from django.conf import settings

    sweep, poll = settings.SWEEP_INTERVAL_SECONDS, settings.POLL_INTERVAL_SECONDS
    return {
        "integrations-deliveries-sweep": _periodic("integrations.deliveries_sweep", sweep, Queues.HOUSEKEEPING),
        "integrations-backfills-sweep": _periodic("integrations.backfills_sweep", sweep, Queues.HOUSEKEEPING),
        # Restarts import jobs whose task was lost or whose worker died mid-slice.
        "integrations-import-jobs-sweep": _periodic("integrations.import_jobs_sweep", sweep, Queues.HOUSEKEEPING),
        "integrations-heartbeat": _periodic("integrations.beat_heartbeat", HEARTBEAT_SECONDS, Queues.HOUSEKEEPING),
        **{f"integrations-queue-heartbeat-{queue}": _periodic("integrations.queue_heartbeat", HEARTBEAT_SECONDS,
                                                              queue, (queue,))
           for queue in Queues.ALL if queue != Queues.HOUSEKEEPING},
        "strive-poll-all": _periodic("strive.poll_all", poll, Queues.POLLS),
        "strive-activity-poll-all": _periodic("strive_activity.poll_all", poll, Queues.POLLS),
        "actionkit-compat-check-all": _periodic("actionkit.compat_check_all", 24 * 60 * 60, Queues.POLLS),
    }


@app.on_after_configure.connect
def _make_broker_folders(sender, source, **kwargs):
    # kombu's filesystem transport lists and writes its folders but creates only the control one (without parents), so
    # every process that sends or consumes makes them here, when it first reads the Celery configuration.
    if (source.broker_url or "").startswith("filesystem"):
        options = source.broker_transport_options
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = beat_schedule()


app.autodiscover_tasks()

# Task correlation ids for the JSON logs and the worker/beat liveness beacons read by /healthz.
from integrations.observability import celery_context  # noqa: E402,F401
