"""Live work is never stalled by long work at the queue level: with the bulk pool's every slot held by long tasks,
live deliveries are still taken by the live pool and reach ActionKit while the bulk tasks run. The control case
shows what the test guards against: one shared pool, as `make run` had, sends them only once a long task ends."""

import uuid
from datetime import datetime

import pytest
from django.core.cache import cache

from tests.plugins.worker import wait_until

# The slot-holding task of tests/faults/worker_include.py, named here: importing that module would register the
# probe kind in this process and put its tile on every hub page of the session.
OCCUPY_TASK = "tests.faults.occupy"

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

HOLD_SECONDS = 15  # Each long task; generous, so a slow machine does not make the ordering flaky.


def _occupy(tasks: int) -> str:
    """Queue `tasks` long tasks on the polls queue and wait until the first holds a slot; return their key."""
    from config.celery import app

    key = f"occupy:{uuid.uuid4().hex}"
    for _ in range(tasks):
        app.send_task(OCCUPY_TASK, args=(key, HOLD_SECONDS), queue="polls")
    wait_until(lambda: cache.get(f"{key}:started"), timeout=60, message="a long task to hold the bulk pool")
    return key


def _first_finish(key: str) -> datetime:
    return datetime.fromisoformat(wait_until(lambda: cache.get(f"{key}:finished"), timeout=120,
                                             message="the first long task to finish"))


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # Publishing is the point.
def test_live_deliveries_go_out_while_long_work_holds_every_bulk_slot(probe, fault_worker):
    fault_worker(queues="polls,backfills,imports", concurrency=1)  # As worker-bulk: one slot, and it will be held.
    live = fault_worker(queues="live,housekeeping", concurrency=1)
    key = _occupy(tasks=3)  # One runs, two wait behind it: 45 s of bulk work.
    probe.enqueue(5)
    probe.wait_all_delivered(timeout=60, worker=live)
    assert cache.get(f"{key}:finished") is None  # All five were out before the first long task even ended.
    delivered = max(probe.deliveries().values_list("delivered_at", flat=True))
    assert delivered < _first_finish(key)
    result = probe.record("bulk pool held by long tasks", "3 x 15 s tasks on polls")
    assert (result.delivered, result.duplicated, result.lost) == (5, 0, 0)


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_control_one_shared_pool_makes_live_work_wait_behind_long_work(probe, fault_worker):
    worker = fault_worker(queues="live,housekeeping,polls,backfills,imports", concurrency=1)
    key = _occupy(tasks=1)
    probe.enqueue(5)
    probe.wait_all_delivered(timeout=90, worker=worker)
    first = min(probe.deliveries().values_list("delivered_at", flat=True))
    assert first >= _first_finish(key)  # Nothing went out while the long task held the only slot.
