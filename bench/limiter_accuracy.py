"""Limiter accuracy: 4 processes share one 1000 records/minute budget for N minutes.

Run: .venv/bin/python bench/limiter_accuracy.py [--minutes 2] [--processes 4] [--per-minute 1000] [--backend local|redis]
Reports the share of the budget used and the most records granted in any 60-second window (must be <= budget).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.ratelimit import WINDOW_SECONDS, LocalBackend, RedisBackend, Throttle  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _backend(kind: str, path: str):
    return RedisBackend.from_url(REDIS_URL) if kind == "redis" else LocalBackend(path)


def _worker(args) -> list[tuple[float, float, int]]:
    kind, path, key, per_minute, seconds, costs = args
    throttle = Throttle(key=key, per_minute=per_minute, host="bench", backend=_backend(kind, path))
    grants, deadline = [], time.time() + seconds
    while True:
        cost = random.choice(costs)
        wait_budget = deadline - time.time()
        if wait_budget <= 0:
            return grants
        try:
            throttle.acquire(cost, max_wait=wait_budget)
        except Exception:  # ThrottleBusy: the next slot is after the end of the run.
            return grants
        grants.append((throttle.last_admitted_at, time.time(), cost))


def max_window(points: list[tuple[float, int]], window: float = WINDOW_SECONDS) -> int:
    points.sort()
    best = total = left = 0
    for at, cost in points:
        total += cost
        while points[left][0] <= at - window:
            total -= points[left][1]
            left += 1
        best = max(best, total)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--per-minute", type=int, default=1000)
    parser.add_argument("--backend", choices=["local", "redis"], default="local")
    parser.add_argument("--mixed-costs", action="store_true", help="costs 1/1/1/5/20 instead of all 1")
    args = parser.parse_args()
    costs = [1, 1, 1, 5, 20] if args.mixed_costs else [1]
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        job = (
            args.backend,
            str(Path(tmp) / "rl.sqlite3"),
            f"bench-{uuid.uuid4().hex}",
            args.per_minute,
            seconds,
            costs,
        )
        started = time.time()
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            results = pool.map(_worker, [job] * args.processes)
        elapsed = time.time() - started
    grants = [g for r in results for g in r]
    granted = sum(c for _, _, c in grants)
    budget = args.per_minute * seconds / WINDOW_SECONDS
    by_admission = max_window([(a, c) for a, _, c in grants])
    by_wakeup = max_window([(w, c) for _, w, c in grants])
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"backend {args.backend}, {args.processes} processes, costs {sorted(set(costs))}"
    )
    print(f"{'measure':<46}{'value':>12}")
    for label, value in [
        ("run length (s)", f"{elapsed:.1f}"),
        ("budget (records per 60 s)", args.per_minute),
        ("records granted", granted),
        ("budget over the run", f"{budget:.0f}"),
        ("% of budget used", f"{100 * granted / budget:.1f}"),
        ("max in any 60 s window (scheduled starts)", by_admission),
        ("max in any 60 s window (process wake-ups)", by_wakeup),
    ]:
        print(f"{label:<46}{value:>12}")
    print("OK: never over budget" if by_admission <= args.per_minute else "FAIL: a window exceeded the budget")


if __name__ == "__main__":
    main()
