"""The shared limiter: pure GCRA math, and the budget / pause / concurrency properties across real processes."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
import time
import uuid

import pytest

from integrations.ratelimit import (
    LocalBackend,
    RedisBackend,
    Throttle,
    ThrottleBusy,
    catch_up,
    gcra_reserve,
    next_tat,
)

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping())
    except Exception:
        return False


def make_backend(spec: tuple[str, str]):
    kind, where = spec
    return LocalBackend(where) if kind == "local" else RedisBackend.from_url(where)


@pytest.fixture(params=["local", "redis"])
def backend_spec(request, tmp_path, settings):
    if request.param == "redis":
        url = settings.REDIS_URL or REDIS_URL
        if not _redis_available():
            pytest.skip("Redis is not reachable; the local backend is still tested")
        return ("redis", url)
    return ("local", str(tmp_path / "ratelimit.sqlite3"))


def max_in_any_window(grants: list[tuple[float, int]], window: float) -> int:
    """Largest total cost of grants whose start falls in any half-open window [t, t + window)."""
    grants = sorted(grants)
    best, total, left = 0, 0, 0
    for at, cost in grants:
        total += cost
        while grants[left][0] <= at - window:
            total -= grants[left][1]
            left += 1
        best = max(best, total)
    return best


@pytest.mark.parametrize(
    "now, tat, grants, cost, expected",
    [
        (100.0, 0.0, [], 1, 100.0),  # idle: start now
        (100.0, 100.5, [], 1, 100.5),  # paced: wait for the theoretical arrival time
        (100.0, 0.0, [(50.0, 10)], 1, 110.00001),  # window (start-60, start] already holds the whole budget of 10
        (100.0, 0.0, [(50.0, 5), (55.0, 5)], 5, 110.00001),  # must drop the 50.0 grant to fit 5 more
        (100.0, 0.0, [(30.0, 10)], 1, 100.0),  # old grants fall out of the window
        (100.0, 0.0, [(50.0, 10)], 50, 110.00001),  # cost above the budget waits for an empty window
    ],
)
def test_it_reserves_start_times(now, tat, grants, cost, expected):
    assert gcra_reserve(now=now, tat=tat, grants=grants, cost=cost, limit=10, window=60.0) == pytest.approx(expected)


def test_it_never_exceeds_the_budget_with_mixed_costs_in_simulation():
    rng, now, tat, live, every, limit, window = random.Random(7), 0.0, 0.0, [], [], 100, 60.0
    for _ in range(3_000):
        now += rng.expovariate(2.0)
        cost = rng.choice([1, 1, 1, 5, 20, 100])
        start = gcra_reserve(now=now, tat=tat, grants=live, cost=cost, limit=limit, window=window)
        tat = next_tat(start, cost, limit, window)
        live = [g for g in live if g[0] > now - window] + [(start, cost)]
        every.append((start, cost))
    assert max_in_any_window(every, window) <= limit


def _hammer(spec, key, per_window, window, seconds, queue):
    throttle = Throttle(key=key, per_minute=per_window, host="h", window=window, backend=make_backend(spec))
    deadline, grants = time.time() + seconds, []
    while time.time() < deadline:
        cost = random.choice([1, 1, 2, 3])
        throttle.acquire(cost, max_wait=30)
        grants.append((throttle.last_admitted_at, cost))
    queue.put(grants)


def run_processes(target, args_list):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, queue)) for args in args_list]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    return results


def test_it_keeps_four_processes_within_the_budget_in_every_window(backend_spec):
    key, per_window, window = f"budget-{uuid.uuid4().hex}", 40, 1.0  # 40 records per 1-second "minute"
    results = run_processes(_hammer, [(backend_spec, key, per_window, window, 4.0)] * 4)
    grants = [g for r in results for g in r]
    assert sum(c for _, c in grants) > per_window  # the test really ran several windows
    assert max_in_any_window(grants, window) <= per_window


def test_it_pauses_every_caller_after_a_429(backend_spec):
    backend, key = make_backend(backend_spec), f"pause-{uuid.uuid4().hex}"
    first = Throttle(key=key, per_minute=600, host="h", backend=backend)
    other = Throttle(key=key, per_minute=600, host="h", backend=make_backend(backend_spec))
    first.acquire()
    before = first.last_admitted_at
    first.pause(0.5)
    other.acquire()
    assert other.last_admitted_at >= before + 0.5
    first.pause(100)
    with pytest.raises(ThrottleBusy) as info:
        other.acquire(max_wait=1)
    assert info.value.retry_after > 90


def hold_slots(spec, host, cap, rounds, through_admit, queue):
    """Slots taken alone, or (through_admit) with a budget too large to wait for, as Throttle.admit takes them."""
    per_minute = 100_000 if through_admit else 0
    throttle = Throttle(key=f"k-{host}", per_minute=per_minute, host=host, max_concurrent=cap, backend=make_backend(spec))
    spans = []
    for _ in range(rounds):
        with throttle.admit(1, slot_wait=30) if through_admit else throttle.slot(max_wait=30):
            entered = time.time()
            time.sleep(0.02)
            spans.append((entered, time.time()))
    queue.put(spans)


def test_it_caps_concurrent_requests_per_host_across_processes(backend_spec):
    host = f"act-{uuid.uuid4().hex}.example.org"
    results = run_processes(hold_slots, [(backend_spec, host, 2, 10, False)] * 4)
    assert sum(len(r) for r in results) == 40 and peak_overlap(results) <= 2


def peak_overlap(results: list[list[tuple[float, float]]]) -> int:
    """Most (entered, left) spans open at one time."""
    events = sorted(
        [(s, 1) for r in results for s, _ in r] + [(e, -1) for r in results for _, e in r], key=lambda x: (x[0], x[1])
    )
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def test_it_expires_leases_of_killed_processes(backend_spec):
    backend, host = make_backend(backend_spec), f"act-{uuid.uuid4().hex}.example.org"
    assert backend.lease(host, "dead-process", 1, 0.2)  # never released, as if the process was killed
    throttle = Throttle(key="k", per_minute=0, host=host, max_concurrent=1, backend=backend)
    with pytest.raises(ThrottleBusy):
        with throttle.slot(max_wait=0.05):
            pass
    with throttle.slot(max_wait=5):
        pass


def test_it_reports_utilization_and_allows_unlimited(backend_spec):
    backend, key = make_backend(backend_spec), f"util-{uuid.uuid4().hex}"
    throttle = Throttle(key=key, per_minute=100, host="h", backend=backend)
    throttle.acquire(10)
    assert throttle.utilization() == pytest.approx(0.10)
    unlimited = Throttle(key=key, per_minute=0, host="h", max_concurrent=0, backend=backend)
    unlimited.acquire(10_000, max_wait=0)
    with unlimited.slot():
        pass
    assert unlimited.utilization() == 0.0



def test_the_sqlite_backend_sees_other_processes_grants_and_forgets_expired_ones(tmp_path):
    """Each thread keeps the grants it has read and reads only newer ones: another instance's grants must still
    count, and grants that left the window must stop counting."""
    path, key, limit, window = tmp_path / "ratelimit.sqlite3", "copy", 10, 0.5
    first, second = LocalBackend(path), LocalBackend(path)
    second.admit(key, 1, 1000, window, 5.0)  # The second instance has read the key once and keeps a copy.
    for _ in range(limit - 1):
        assert first.admit(key, 1, 1000, window, 5.0).admitted
    full = second.admit(key, 1, limit, window, 5.0)
    assert full.admitted and full.wait > window / 2  # All ten of the window are taken, nine of them by `first`.
    time.sleep(window * 2 + full.wait)
    assert second.admit(key, 1, limit, window, 5.0).wait == pytest.approx(0, abs=0.05)


def test_a_budget_peek_on_sqlite_answers_while_another_process_holds_the_write_lock(tmp_path):
    """The scheduler asks how long a connection's budget would make it wait before every hand-over; that question
    must neither wait behind a decision of another process nor write anything of its own."""
    path, key = tmp_path / "ratelimit.sqlite3", "peek"
    backend = LocalBackend(path)
    assert backend.admit(key, 1, 10, 60.0, 5.0).admitted
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    answers = []
    try:
        asking = threading.Thread(target=lambda: answers.append(backend.reserve(key, 1, 10, 60.0, -1.0)))
        asking.start()
        asking.join(timeout=5)  # A peek that took the write lock would sit in SQLite's 30 s busy wait.
        assert answers, "the peek waited for the other process's write lock"
    finally:
        other_process.rollback()
        other_process.close()
    admitted, wait, _ = answers[0]
    # One grant of ten a minute paces the next 6 s on, less what a live request may start ahead of its pace.
    assert not admitted and wait == pytest.approx(6.0 - catch_up(), abs=0.5)
    assert len(backend.grant_log(key, 60.0)) == 1
