"""Every task lands on the queue meant for it: live sends never wait behind polls, backfills or imports."""

import pytest

from config.celery import TASK_QUEUES, Queues, app

EXPECTED = {
    "integrations.delivery_send": "live",
    "integrations.deliveries_schedule": "live",
    "strive_activity.webhook_events_process": "live",
    "strive_activity.automation_runs_send": "live",
    "integrations.beat_heartbeat": "housekeeping",
    "integrations.queue_heartbeat": "live",
    "integrations.deliveries_sweep": "housekeeping",
    "integrations.backfills_sweep": "housekeeping",
    "integrations.import_jobs_sweep": "housekeeping",
    "strive.poll_all": "polls",
    "strive.users_poll": "polls",
    "strive_activity.poll_all": "polls",
    "strive_activity.poll_connection": "polls",
    "strive_activity.page_import": "polls",
    "strive_activity.usergroup_refresh": "polls",
    "integrations.backfill_plan": "backfills",
    "integrations.backfill_pump": "backfills",
    "integrations.backfills_schedule": "backfills",
    "integrations.import_job_run": "imports",
    "actionkit.compat_check_all": "polls",
    "actionkit.compat_check": "polls",
}


@pytest.mark.parametrize("task_name, queue", sorted(EXPECTED.items()))
def test_it_routes_each_task_to_its_queue(task_name, queue):
    route = app.amqp.router.route({}, task_name)
    assert route["queue"].name == queue


def test_every_registered_task_is_routed_by_name():
    """A new task must pick its queue on purpose; falling through to the default would put it on the live pool."""
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith(("celery.", "tests."))}
    assert ours - set(TASK_QUEUES) == set()
    assert set(EXPECTED) == set(TASK_QUEUES)


def test_each_queue_has_its_own_routing_key():
    keys = {queue.name: queue.routing_key for queue in app.conf.task_queues}
    assert keys == {name: name for name in ("live", "housekeeping", "polls", "backfills", "imports")}
    assert set(keys) == set(Queues.ALL)


def test_beat_sends_each_tick_to_its_tasks_queue():
    from config.celery import beat_schedule

    heartbeats = set()
    for entry in beat_schedule().values():
        if entry["task"] == "integrations.queue_heartbeat":
            assert entry["args"] == (entry["options"]["queue"],)  # Each queue's heartbeat names its own queue.
            heartbeats.add(entry["options"]["queue"])
        else:
            assert entry["options"]["queue"] == TASK_QUEUES[entry["task"]], entry
    assert heartbeats == set(Queues.ALL) - {"housekeeping"}  # Housekeeping has beat_heartbeat.


def test_time_limits_are_a_couple_of_minutes_and_above_the_budget(settings):
    assert settings.TASK_BUDGET_SECONDS * 4 < app.conf.task_soft_time_limit < app.conf.task_time_limit <= 120
    app.loader.import_default_modules()
    long_reads = {name for name in TASK_QUEUES if name in app.tasks and app.tasks[name].time_limit != 120}
    assert long_reads == {"strive_activity.usergroup_refresh", "strive_activity.poll_connection"}
    assert all(TASK_QUEUES[name] == Queues.POLLS for name in long_reads)  # Never on the live pool.
