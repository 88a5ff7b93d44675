"""Two priority classes in the shared limiter: live requests start in front of bulk reads that already sleep until
their reserved starts, and no window ever holds more than the budget across both classes."""

from __future__ import annotations

import heapq
import random
import uuid

import pytest

from integrations.ratelimit import (
    BULK,
    LIVE,
    Throttle,
    catch_up,
    class_limit,
    gcra_reserve,
    live_reserve,
    next_tat,
    priority_reserve,
    window_peak,
)
from tests.integrations.test_ratelimit import (
    backend_spec,
    hold_slots,
    make_backend,
    max_in_any_window,
    peak_overlap,
    run_processes,
)

__all__ = ["backend_spec"]  # The fixture, imported so both backends run here too.


@pytest.mark.parametrize(
    "now, grants, cost, priority, expected",
    [
        (100.0, [(105.0, 50, BULK)], 1, LIVE, 100.0),  # in front of a bulk read still sleeping until 105
        (100.0, [(50.0, 60, BULK), (105.0, 40, BULK)], 1, LIVE, 110.00001),  # (45, 105] is full: queue after 105
        (100.0, [(50.0, 60, BULK), (105.0, 39, BULK)], 1, LIVE, 100.0),  # a record of room in each window with 100
        (100.0, [(90.0, 98, BULK)], 1, BULK, 150.00001),  # bulk fills 98 of 100; the rest is live's
        (100.0, [(90.0, 98, BULK)], 1, LIVE, 100.0),
        (100.0, [(90.0, 96, BULK), (95.0, 2, LIVE)], 1, BULK, 150.00001),  # live use makes bulk yield: the reserve
        (100.0, [(90.0, 95, BULK), (95.0, 2, LIVE)], 1, BULK, 100.0),  # stays free on top of it
        (100.0, [(90.0, 50, BULK), (95.0, 50, LIVE)], 1, BULK, 150.00001),  # the full limit still holds for bulk
        (100.0, [(130.0, 1, LIVE)], 1, BULK, 130.0),  # bulk never goes in front of anything
    ],
)
def test_it_reserves_start_times_by_class(now, grants, cost, priority, expected):
    start = priority_reserve(now=now, tat=0.0, grants=grants, cost=cost, limit=100, priority=priority, window=60.0)
    assert start == pytest.approx(expected)


def test_it_leaves_a_small_share_to_live_and_the_rest_to_bulk():
    assert live_reserve(980) == 20 and class_limit(980, BULK) == 960 and class_limit(980, LIVE) == 980
    assert live_reserve(10) == 1 and live_reserve(1) == 0 and class_limit(1, BULK) == 1


def test_window_peak_counts_windows_that_end_at_future_grants():
    grants = [(10.0, 5, BULK), (50.0, 3, LIVE), (65.0, 4, BULK), (116.0, 9, BULK)]
    assert window_peak(grants, 55.0, 60.0) == 12  # (5, 65] holds all three; 116 is no window's with 55 in it
    assert window_peak(grants, 70.0, 60.0) == 13  # (56, 116]; the grant at 10 has left every window with 70
    assert window_peak(grants, 200.0, 60.0) == 0


def _admit(state: dict, *, now: float, cost: int, priority: str, limit: int, window: float) -> float:
    tat = state["tat"][priority]
    grants = sorted(g for g in state["grants"] if g[0] > now - window)
    start = priority_reserve(now=now, tat=tat, grants=grants, cost=cost, limit=limit, priority=priority, window=window)
    state["tat"][priority] = next_tat(start, cost, class_limit(limit, priority), window, tat=tat)
    state["grants"] = grants + [(start, cost, priority)]
    state["every"].append((start, cost))
    return start


@pytest.mark.parametrize("seed", range(20))
def test_random_mixed_sequences_never_exceed_the_budget_in_any_window(seed):
    rng, limit, window = random.Random(seed), rng_limit(seed), 60.0
    state, now = {"tat": {LIVE: 0.0, BULK: 0.0}, "grants": [], "every": []}, 0.0
    for _ in range(1_500):
        now += rng.expovariate(rng.choice([0.2, 2.0, 20.0]))
        priority = rng.choice([LIVE, LIVE, BULK])
        cost = rng.choice([1, 1, 2, 5]) if priority == LIVE else rng.choice([1, limit // 10, limit // 2, limit])
        _admit(state, now=now, cost=min(cost, limit), priority=priority, limit=limit, window=window)
    assert sum(c for _, c in state["every"]) > 3 * limit  # Many windows were full.
    assert max_in_any_window(state["every"], window) <= limit


def rng_limit(seed: int) -> int:
    return [100, 980, 37, 10][seed % 4]


def _saturated_sync(*, readers: int, live_per_minute: float, priority_aware: bool = True, minutes: float = 10.0):
    """Bulk readers that ask for their next page of 96 the moment the previous one starts (as read-ahead does),
    with live one-record requests arriving at random. Returns (live waits, bulk records a minute, grants)."""
    rng, limit, window, page = random.Random(readers), 980, 60.0, 96
    state = {"tat": {LIVE: 0.0, BULK: 0.0}, "grants": [], "every": []}
    events = [(0.0, i, BULK) for i in range(readers)] + [(rng.uniform(0, 5), readers, LIVE)] * bool(live_per_minute)
    heapq.heapify(events)
    waits, bulk_records, end = [], 0, minutes * 60
    while events and events[0][0] < end:
        now, who, priority = heapq.heappop(events)
        cost = page if priority == BULK else 1
        if priority_aware:
            start = _admit(state, now=now, cost=cost, priority=priority, limit=limit, window=window)
        else:  # One class, as before this change: everybody queues behind every reservation.
            grants = sorted(g for g in state["every"] if g[0] > now - window)
            start = gcra_reserve(now=now, tat=state["tat"][LIVE], grants=grants, cost=cost, limit=limit, window=window)
            state["tat"][LIVE] = next_tat(start, cost, limit, window)
            state["every"].append((start, cost))
        if priority == BULK:
            bulk_records += page
            heapq.heappush(events, (start, who, BULK))
        else:
            waits.append(start - now)
            heapq.heappush(events, (now + rng.expovariate(live_per_minute / 60), who, LIVE))
    return waits, bulk_records * 60 / end, state["every"]


def test_bulk_alone_keeps_nearly_all_of_its_share():
    _, bulk_per_minute, grants = _saturated_sync(readers=3, live_per_minute=0)
    assert max_in_any_window(grants, 60.0) <= 980
    assert bulk_per_minute >= 0.98 * class_limit(980, BULK) >= 0.95 * 1000 - 10


@pytest.mark.parametrize("live_per_minute", [12, 40, 80])  # Inside the reserve, twice it, four times it.
def test_live_waits_stay_short_while_bulk_saturates(live_per_minute):
    waits, bulk_per_minute, grants = _saturated_sync(readers=3, live_per_minute=live_per_minute)
    assert max_in_any_window(grants, 60.0) <= 980
    assert len(waits) > 5 * live_per_minute and max(waits) < 0.5
    assert bulk_per_minute >= class_limit(980, BULK) - live_per_minute - 2 * 96  # Bulk yields about what live took.
    old_waits, _, _ = _saturated_sync(readers=3, live_per_minute=live_per_minute, priority_aware=False)
    assert sorted(old_waits)[len(old_waits) // 2] > 5.0  # Without classes the same live requests wait behind pages.


def _hammer_class(spec, key, per_window, window, seconds, priority, queue):
    import time

    throttle = Throttle(key=key, per_minute=per_window, host="h", window=window, backend=make_backend(spec),
                        priority=priority)
    deadline, grants = time.time() + seconds, []
    while time.time() < deadline:
        cost = random.choice([1, 1, 2, 3]) if priority == LIVE else random.choice([5, 10])
        throttle.acquire(cost, max_wait=30)
        grants.append((throttle.last_admitted_at, cost))
    queue.put(grants)


def test_it_keeps_live_and_bulk_processes_within_the_budget_in_every_window(backend_spec):
    key, per_window, window = f"classes-{uuid.uuid4().hex}", 40, 1.0
    args = [(backend_spec, key, per_window, window, 4.0, priority) for priority in (LIVE, LIVE, BULK, BULK)]
    grants = [g for r in run_processes(_hammer_class, args) for g in r]
    assert sum(c for _, c in grants) > 2 * per_window
    assert max_in_any_window(grants, window) <= per_window


def test_a_live_request_starts_in_front_of_bulk_reads_already_reserved(backend_spec):
    backend, key = make_backend(backend_spec), f"front-{uuid.uuid4().hex}"
    first = backend.admit(key, 50, 100, 60.0, 120.0, priority=BULK)
    second = backend.admit(key, 48, 100, 60.0, 120.0, priority=BULK)
    assert second.start - first.start == pytest.approx(50 * 60 / class_limit(100, BULK), abs=0.05)
    live = [backend.admit(key, 1, 100, 60.0, 120.0, priority=LIVE) for _ in range(2)]
    assert all(a.admitted and a.start < second.start - 25 for a in live)
    assert all(a.start - first.start < 1.0 for a in live)
    overflow = backend.admit(key, 1, 100, 60.0, 120.0, priority=LIVE)  # 98 + 2 fill every window holding now
    assert overflow.start >= first.start + 60.0
    grants = [(a.start, c) for a, c in [(first, 50), (second, 48), (live[0], 1), (live[1], 1), (overflow, 1)]]
    assert max_in_any_window(grants, 60.0) <= 100


def _paced_sender(*, stall_every: int, stall: float, answer: float, minutes: float = 5.0) -> list[tuple[float, int]]:
    """One live sender with one request in flight, as the pump keeps per connection: it asks for its next start as
    soon as its last request is answered, and every `stall_every`-th answer takes `stall` instead of `answer`."""
    limit, window = 980, 60.0
    state, now, sent = {"tat": {LIVE: 0.0, BULK: 0.0}, "grants": [], "every": []}, 0.0, 0
    while now < minutes * 60:
        start = _admit(state, now=now, cost=1, priority=LIVE, limit=limit, window=window)
        sent += 1
        now = start + (stall if sent % stall_every == 0 else answer)
    return state["every"]


def test_a_live_sender_that_stalls_catches_up_and_never_exceeds_the_budget(monkeypatch):
    grants = _paced_sender(stall_every=16, stall=0.4, answer=0.03)  # A 0.4 s database wait once a batch.
    assert max_in_any_window(grants, 60.0) <= 980
    assert len(grants) >= 0.99 * 980 * 5
    monkeypatch.setattr("integrations.ratelimit.LIVE_CATCH_UP_SECONDS", 0.0)  # Plain GCRA loses every stall.
    assert len(_paced_sender(stall_every=16, stall=0.4, answer=0.03)) < 0.8 * 980 * 5


def test_live_catches_up_at_most_its_allowance_on_both_backends(backend_spec):
    backend, key = make_backend(backend_spec), f"catch-up-{uuid.uuid4().hex}"
    starts = [backend.admit(key, 1, 600, 60.0, 30.0, priority=LIVE).start for _ in range(20)]
    ahead = int(catch_up() / 0.1)  # 600 a minute is one record every 0.1 s: this many may start at once.
    assert starts[ahead] - starts[0] == pytest.approx(0.0, abs=0.05)
    assert starts[-1] - starts[ahead] == pytest.approx((19 - ahead) * 0.1, abs=0.05)


def test_a_pause_holds_both_classes(backend_spec):
    backend, key = make_backend(backend_spec), f"pause-{uuid.uuid4().hex}"
    before = backend.admit(key, 1, 600, 60.0, 10.0, priority=LIVE)
    backend.pause(key, 0.5)
    for priority in (LIVE, BULK):
        assert backend.admit(key, 1, 600, 60.0, 10.0, priority=priority).start >= before.start + 0.5


class _Counting:
    """Counts the calls a throttle makes to its backend: each is one round trip (one Lua script or transaction)."""

    def __init__(self, backend):
        self.backend, self.calls = backend, []

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append(name)
            return getattr(self.backend, name)(*args, **kwargs)

        return call


def test_a_request_that_can_start_takes_budget_and_slot_in_one_call(backend_spec):
    backend = _Counting(make_backend(backend_spec))
    host = f"act-{uuid.uuid4().hex}.example.org"
    throttle = Throttle(key=f"one-{uuid.uuid4().hex}", per_minute=600, host=host, max_concurrent=1, backend=backend)
    with throttle.admit(1):
        assert not backend.backend.lease(host, "other", 1, 5.0)  # The slot really is held.
    assert backend.calls == ["admit", "release"]  # Two round trips; the lease check above bypassed the counter.
    assert backend.backend.lease(host, "after", 1, 5.0)  # Released.


def test_a_request_that_waits_for_the_budget_takes_its_slot_after_the_sleep(backend_spec):
    backend = _Counting(make_backend(backend_spec))
    throttle = Throttle(key=f"two-{uuid.uuid4().hex}", per_minute=60, host=f"h-{uuid.uuid4().hex}", window=1.0,
                        max_concurrent=1, backend=backend, priority=BULK)
    with throttle.admit(50):
        pass
    with throttle.admit(50):  # Paced ~0.9 s behind the first: it sleeps without a slot, then leases one.
        pass
    assert backend.calls == ["admit", "release", "admit", "lease", "release"]


def test_admit_caps_concurrent_requests_per_host_across_processes(backend_spec):
    host = f"act-{uuid.uuid4().hex}.example.org"
    results = run_processes(hold_slots, [(backend_spec, host, 2, 10, True)] * 4)
    assert sum(len(r) for r in results) == 40 and peak_overlap(results) <= 2


def test_the_grant_log_lists_both_classes_in_start_order(backend_spec):
    backend, key = make_backend(backend_spec), f"log-{uuid.uuid4().hex}"
    bulk = backend.admit(key, 40, 100, 60.0, 120.0, priority=BULK)
    paced = backend.admit(key, 40, 100, 60.0, 120.0, priority=BULK)
    live = backend.admit(key, 1, 100, 60.0, 120.0, priority=LIVE)
    log = backend.grant_log(key, 60.0)
    assert [(cost, priority) for _, cost, priority in log] == [(40, BULK), (1, LIVE), (40, BULK)]
    assert [at for at, _, _ in log] == pytest.approx([bulk.start, live.start, paced.start], abs=1e-5)
