"""Every task lands on the queue meant for it: live sends never wait behind polls or backfills."""

import pytest

from config.celery import app

EXPECTED = {
    "integrations.delivery_send": "deliveries",
    "integrations.deliveries_sweep": "deliveries",
    "integrations.beat_heartbeat": "deliveries",
    "integrations.backfill_plan": "backfills",
    "integrations.backfill_pump": "backfills",
    "integrations.backfills_sweep": "backfills",
    "strive.poll_all": "polls",
    "strive.users_poll": "polls",
    "strive_activity.poll_all": "polls",
    "strive_activity.poll_connection": "polls",
    "strive_activity.webhook_events_process": "polls",
}


@pytest.mark.parametrize("task_name, queue", sorted(EXPECTED.items()))
def test_it_routes_each_task_to_its_queue(task_name, queue):
    app.loader.import_default_modules()
    assert task_name in app.tasks
    route = app.amqp.router.route({}, task_name)
    assert route["queue"].name == queue


def test_each_queue_has_its_own_routing_key():
    keys = {queue.name: queue.routing_key for queue in app.conf.task_queues}
    assert keys == {"deliveries": "deliveries", "polls": "polls", "backfills": "backfills"}
