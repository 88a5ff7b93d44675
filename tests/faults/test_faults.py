"""The fault suite: each case injects one fault into a real worker + sandbox run and proves that nothing is lost,
nothing is ordered twice, the status shown is true, and recovery needs no operator."""

import pytest

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_baseline_without_faults(probe, fault_worker):
    worker = fault_worker(queues="deliveries", beat=True)
    probe.enqueue(10)
    probe.wait_all_delivered(worker=worker)
    result = probe.record("none (baseline)", "-")
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (10, 0, 0, 0)
    probe.assert_status("connected")


def test_worker_killed_with_sigkill_mid_delivery(probe, fault_worker):
    from tests.plugins.worker import wait_until

    # Each ActionKit answer takes 1.5 s (inside the 2 s read timeout), so the kill lands while requests are in flight.
    probe.sandbox.inject("slow", count=4, delay=1.5)
    worker = fault_worker(queues="deliveries", beat=True)
    probe.enqueue(12)
    wait_until(lambda: probe.deliveries().filter(status="sending").exists(), timeout=30, message="a send in flight")
    worker.kill()  # SIGKILL to the worker's and beat's whole process group.
    assert probe.deliveries().filter(status="sending").exists()  # The claim is stranded: only the sweeper can free it.
    worker.start()
    probe.wait_all_delivered(timeout=120, worker=worker)
    result = probe.record("worker SIGKILL mid-delivery", "1 kill with sends in flight")
    assert (result.delivered, result.duplicated, result.lost) == (12, 0, 0)
    probe.assert_status("connected")


def test_broker_loses_every_queued_task(probe, fault_worker, settings):
    from integrations.models import Delivery
    from tests.faults.broker import lose_queued_tasks

    probe.enqueue(15)  # No worker yet: the send tasks sit in the broker.
    lost = lose_queued_tasks()
    assert lost >= 15 or not settings.CELERY_BROKER_URL.startswith("filesystem")
    # The tasks are gone; the ledger still has every row. Let the clock pass the re-queue age rather than wait 30 s.
    Delivery.objects.filter(connection=probe.connection).update(enqueued_at=None)
    worker = fault_worker(queues="deliveries", beat=True)
    probe.wait_all_delivered(timeout=90, worker=worker)
    result = probe.record("broker lost queued tasks", f"{lost} messages deleted")
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (15, 0, 0, 0)


def test_database_unavailable_for_a_moment(probe, fault_worker):
    from tests.faults.database import database_outage

    probe.sandbox.inject("slow", count=6, delay=0.5)  # Keep the worker busy while the database goes away.
    worker = fault_worker(queues="deliveries", beat=True)
    probe.enqueue(12)
    injected = database_outage(seconds=3)
    probe.wait_all_delivered(timeout=120, worker=worker)
    result = probe.record("database unavailable", injected)
    assert (result.delivered, result.duplicated, result.lost) == (12, 0, 0)
    probe.assert_status("connected")


def test_slow_responses_past_the_timeout(probe, fault_worker):
    # 3 s answers against a 2 s read timeout: ActionKit records the order, we never hear back, and we send again.
    probe.sandbox.inject("slow", count=4, delay=3)
    worker = fault_worker(queues="deliveries", beat=True, concurrency=1)
    probe.enqueue(6)
    probe.wait_all_delivered(timeout=120, worker=worker)
    result = probe.record("slow responses past timeout", "4 answers of 3 s (timeout 2 s)")
    assert (result.delivered, result.duplicated, result.lost) == (6, 0, 0)
    attempts = probe.deliveries().values_list("attempt_set__outcome", flat=True)
    assert list(attempts).count("retryable") == 4
    probe.assert_status("connected")


def test_burst_of_429s(probe, fault_worker):
    probe.sandbox.inject("429", count=25, retry_after=1)
    worker = fault_worker(queues="deliveries", beat=True)
    probe.enqueue(20)
    probe.wait_all_delivered(timeout=120, worker=worker)
    result = probe.record("burst of 429s", "25 x 429, Retry-After 1")
    # A 429 is refused before ActionKit does anything, so nothing may have been sent twice either.
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (20, 0, 0, 0)
    assert probe.deliveries().filter(attempt_set__status_code=429).exists()
    probe.assert_status("connected")
