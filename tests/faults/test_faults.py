"""The fault suite: each case injects one fault into a real worker + sandbox run and proves that nothing is lost,
nothing is ordered twice, the status shown is true, and recovery needs no operator."""

import pytest

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_baseline_without_faults(probe, fault_worker):
    worker = fault_worker(queues="live,housekeeping", beat=True)
    probe.enqueue(10)
    probe.wait_all_delivered(worker=worker)
    result = probe.record("none (baseline)", "-")
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (10, 0, 0, 0)
    probe.assert_status("connected")


def test_worker_killed_with_sigkill_mid_delivery(probe, fault_worker):
    from tests.plugins.worker import wait_until

    # Each ActionKit answer takes 1.5 s (inside the 2 s read timeout), so the kill lands while requests are in flight.
    probe.sandbox.inject("slow", count=4, delay=1.5)
    worker = fault_worker(queues="live,housekeeping", beat=True)
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

    probe.enqueue(15)  # No worker yet: the scheduler turn queued for them sits in the broker.
    lost = lose_queued_tasks()
    # One queued turn stands for all 15 rows (a backlog costs the broker one message, not one per row).
    assert lost >= 1 or not settings.CELERY_BROKER_URL.startswith("filesystem")
    # The tasks are gone; the ledger still has every row. Let the clock pass the re-queue age rather than wait 30 s.
    Delivery.objects.filter(connection=probe.connection).update(enqueued_at=None)
    worker = fault_worker(queues="live,housekeeping", beat=True)
    probe.wait_all_delivered(timeout=90, worker=worker)
    result = probe.record("broker lost queued tasks", f"{lost} messages deleted")
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (15, 0, 0, 0)


def test_database_unavailable_for_a_moment(probe, fault_worker):
    from tests.faults.database import database_outage

    probe.sandbox.inject("slow", count=6, delay=0.5)  # Keep the worker busy while the database goes away.
    worker = fault_worker(queues="live,housekeeping", beat=True)
    probe.enqueue(12)
    injected = database_outage(seconds=3)
    probe.wait_all_delivered(timeout=120, worker=worker)
    result = probe.record("database unavailable", injected)
    assert (result.delivered, result.duplicated, result.lost) == (12, 0, 0)
    probe.assert_status("connected")


def test_slow_responses_past_the_timeout(probe, fault_worker):
    # 3 s answers against a 2 s read timeout: ActionKit records the order, we never hear back, and we send again.
    probe.sandbox.inject("slow", count=4, delay=3)
    worker = fault_worker(queues="live,housekeeping", beat=True, concurrency=1)
    probe.enqueue(6)
    probe.wait_all_delivered(timeout=120, worker=worker)
    result = probe.record("slow responses past timeout", "4 answers of 3 s (timeout 2 s)")
    assert (result.delivered, result.duplicated, result.lost) == (6, 0, 0)
    attempts = probe.deliveries().values_list("attempt_set__outcome", flat=True)
    assert list(attempts).count("retryable") == 4
    probe.assert_status("connected")


def test_burst_of_429s(probe, fault_worker):
    probe.sandbox.inject("429", count=25, retry_after=1)
    worker = fault_worker(queues="live,housekeeping", beat=True)
    probe.enqueue(20)
    probe.wait_all_delivered(timeout=120, worker=worker)
    result = probe.record("burst of 429s", "25 x 429, Retry-After 1")
    # A 429 is refused before ActionKit does anything, so nothing may have been sent twice either.
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (20, 0, 0, 0)
    assert probe.deliveries().filter(attempt_set__status_code=429).exists()
    probe.assert_status("connected")


# The shipped retry schedule (config/settings.py defaults), not the fast test timings: the clock is fast-forwarded.
PRODUCTION_SCHEDULE = {name: str(value) for name, value in {
    "DELIVERY_BACKOFF_BASE_SECONDS": 10.0, "DELIVERY_BACKOFF_MAX_SECONDS": 21600.0, "DELIVERY_MAX_ATTEMPTS": 24,
    "CONNECTION_ERROR_AFTER_FAILURES": 3}.items()}


def _fast_forward(probe) -> float:
    """Move every waiting row's retry time to now, as if the clock jumped; returns the seconds skipped."""
    from django.utils import timezone

    now = timezone.now()
    waiting = probe.deliveries().filter(status="failed", next_attempt_at__gt=now)
    skipped = max([(at - now).total_seconds() for at in waiting.values_list("next_attempt_at", flat=True)], default=0.0)
    waiting.update(next_attempt_at=now, enqueued_at=None)
    return skipped


def _settled(probe) -> bool:
    """No row is being sent or is due: everything left waits for its backoff."""
    from django.utils import timezone

    open_rows = probe.deliveries().exclude(status__in=["succeeded", "dead"])
    return not open_rows.filter(status="sending").exists() and not open_rows.filter(next_attempt_at__lte=timezone.now()).exists()


def _settled_kicking(probe) -> bool:
    """`_settled`, kicking a turn while it is not. A turn sets a connection aside after its first failure and the
    sweep comes back every few seconds, so each clock jump would otherwise wait one sweep per row; these kicks stand
    in for the sweeps of the skipped hours."""
    from integrations.models import Delivery
    from integrations.services.outcomes import schedule_kick

    if _settled(probe):
        return True
    schedule_kick(lane=Delivery.Lane.LIVE)
    return False


def test_actionkit_down_for_a_long_outage(probe, fault_worker, hub_page):
    from tests.plugins.worker import wait_until

    rows, failures_each = 4, 20  # 20 failed tries each: about 2.5 days of the real schedule, jitter included.
    probe.sandbox.inject("500", count=rows * failures_each)
    worker = fault_worker(queues="live,housekeeping", beat=True, env=PRODUCTION_SCHEDULE)
    probe.enqueue(rows)
    simulated = 0.0
    while probe.sandbox.stats()["faults_pending"]:
        wait_until(lambda: _settled_kicking(probe), timeout=60, interval=0.5, message="every row to wait for its backoff")
        if probe.sandbox.stats()["faults_pending"] and probe.deliveries().filter(attempts__gte=3).exists():
            probe.assert_status("error", "ActionKit")  # Shown truthfully while it lasts.
            assert "Connection error" in hub_page(probe)
        simulated += _fast_forward(probe)
    wait_until(lambda: _settled(probe) or not probe.deliveries().exclude(status="succeeded").exists(), timeout=60,
               message="the last faults to be answered")
    simulated += _fast_forward(probe)
    probe.wait_all_delivered(timeout=90, worker=worker)
    hours = simulated / 3600
    result = probe.record("ActionKit down (clock fast-forwarded)", f"{rows * failures_each} x 500 over {hours:.0f} h")
    assert hours > 48  # The schedule rode out more than two days of outage without giving up on a row.
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (rows, 0, 0, 0)
    assert not probe.deliveries().filter(status="dead").exists()
    probe.assert_status("connected")
    assert "Connection error" not in hub_page(probe)


def test_credentials_revoked_then_fixed(probe, fault_worker, hub_page):
    from integrations.services.connections import connection_connect
    from tests.plugins.worker import wait_until

    worker = fault_worker(queues="live,housekeeping", beat=True)
    probe.enqueue(5)
    probe.wait_all_delivered(worker=worker)
    new_password = "rotated-staff-password-77"
    probe.sandbox._control("POST", "staff", json={"username": probe.sandbox.username, "password": new_password})
    try:
        probe.enqueue(10)
        wait_until(lambda: probe.deliveries().filter(connection__halted=True).exists(), timeout=60,
                   message="the connection to halt on the refused credentials")
        probe.assert_status("error", "ActionKit rejected the username or password")
        page = hub_page(probe)
        assert "Connection error" in page and new_password not in page
        # A send already in flight when the connection halted meets the same 401 and comes back to pending too.
        wait_until(lambda: not probe.deliveries().filter(status="sending").exists(), timeout=30, message="sends to end")
        waiting = probe.deliveries().exclude(status="succeeded")
        assert waiting.count() == 10 and set(waiting.values_list("status", flat=True)) == {"pending"}
        assert not waiting.filter(attempts__gt=0).exists()  # Halting uses up no try.

        connection_connect(entity=probe.connection.entity, kind=probe.connection.kind, host=probe.connection.host,
                           config=probe.connection.config, secrets={"password": new_password}, actor=None)
        probe.wait_all_delivered(timeout=120, worker=worker)
    finally:
        probe.sandbox._control("POST", "staff", json={"username": probe.sandbox.username, "password": probe.sandbox.password})
    result = probe.record("credentials revoked, then fixed", "password changed at ActionKit")
    assert (result.delivered, result.duplicated, result.lost, result.resent) == (15, 0, 0, 0)
    probe.assert_status("connected")
    assert not probe.connection.halted and probe.connection.status_reason == ""
