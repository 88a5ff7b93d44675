"""Worker CPU per delivered notification, in process: scheduler turns run here, against a local sandbox.

Reproduce (PostgreSQL and Redis; the script drops and re-creates the database in DATABASE_URL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cpu REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/send_cpu_profile.py --count 1000 --rounds 3 [--profile]

Each round gives a fresh connection a backlog of `--count` live contribution rows (budget far above the rate, so
the shared limiter runs but never waits) and drains it with one connection-scoped scheduler turn in this process:
the pipeline a worker runs, without Celery or a broker. `time.process_time()` counts this process's CPU only
(every thread; not the sandbox, PostgreSQL or Redis), so it moves much less with the machine's load than wall
time does. `--profile` runs one more round under cProfile, timed by process_time (so waits on sockets count
nothing), and prints where the CPU went by function (tottime and cumulative); the profiler inflates the figures,
so only the shares mean anything. Logs go to stderr as in a worker; redirect it (2>file).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

from actblue_common import django_setup, sandbox, setup_env, stop
from machine import describe
from send_common import seed_line_items, seed_live_backlog, start_sandbox, tenant

ACTBLUE_ID = 5101
FIRST_LINEITEM = 30_000_000
WARM_UP_ROWS = 50  # Sent before measuring: imports, the client's session and compiled statements are one-off costs.


def backlog(index: int, host: str, count: int):
    """A connection (sending allowed) with `count` live rows waiting."""
    from integrations.models import Connection

    entity, connection = tenant(slug=f"cpu{index}", actblue_id=ACTBLUE_ID + index, host=host, per_minute=10_000_000)
    first_lineitem = FIRST_LINEITEM + index * 1_000_000
    first = seed_line_items(entity, actblue_id=ACTBLUE_ID + index, count=count, first_lineitem=first_lineitem)
    seed_live_backlog(connection, count=count, first_line_item_pk=first, first_lineitem=first_lineitem)
    # No sweep: it would queue a Celery turn that nobody here consumes. The turn below is scoped to the connection.
    Connection.objects.filter(pk=connection.pk).update(halted=False)
    return connection


def drain(connection, count: int, profiler: cProfile.Profile | None = None) -> tuple[int, float, float]:
    """(rows delivered, CPU seconds, wall seconds) of scheduler turns until the backlog is sent."""
    from integrations.models import Delivery
    from integrations.services.pump import schedule_turn

    delivered, cpu0, wall0 = 0, time.process_time(), time.monotonic()
    if profiler:
        profiler.enable()
    try:
        while delivered < count:
            sent = schedule_turn(lane=Delivery.Lane.LIVE, seconds=60.0, connection_ids=[connection.pk])
            if not sent:
                break
            delivered += sent
    finally:
        if profiler:
            profiler.disable()
    return delivered, time.process_time() - cpu0, time.monotonic() - wall0


def report(profiler: cProfile.Profile, rows: int, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = stats.total_tt
    out.write(f"profiled: {total * 1000 / rows:.2f} ms per row under cProfile\n")
    for order in ("tottime", "cumulative"):
        out.write(f"\n--- top {top} by {order} ---\n")
        stats.sort_stats(order).print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="one more round under cProfile")
    parser.add_argument("--top", type=int, default=30, help="functions listed per profile table")
    parser.add_argument("--dump", help="also write the profile here, for pstats or snakeviz")
    args = parser.parse_args()
    proc, host = start_sandbox(0)
    try:
        setup_env(insecure_host=host)
        django_setup()
        drain(backlog(0, host, WARM_UP_ROWS), WARM_UP_ROWS)
        results = []
        for r in range(1, args.rounds + 1):
            connection = backlog(r, host, args.count)
            load = os.getloadavg()[0]
            results.append((*drain(connection, args.count), load))
        profile_text = ""
        if args.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits on sockets.
            connection = backlog(args.rounds + 1, host, args.count)
            delivered, _, _ = drain(connection, args.count, profiler)
            profile_text = report(profiler, delivered, args.top)
            if args.dump:
                profiler.dump_stats(args.dump)
        orders = sandbox(host, "GET", "stats")["orders"]
    finally:
        stop(proc)
    print(describe())
    print(f"{args.count:,} rows per round, one connection, scheduler turns in this process")
    print("| round | delivered | CPU per row | wall per row | load (1 min) |")
    print("|---|---:|---:|---:|---:|")
    for r, (delivered, cpu, wall, load) in enumerate(results, 1):
        print(f"| {r} | {delivered:,} | {cpu * 1000 / max(1, delivered):.2f} ms | {wall * 1000 / max(1, delivered):.2f} ms "
              f"| {load:.1f} |")
    expected = WARM_UP_ROWS + args.count * (args.rounds + (1 if args.profile else 0))
    print(f"sandbox orders: {orders:,} of {expected:,}")
    print(profile_text)


if __name__ == "__main__":
    main()
