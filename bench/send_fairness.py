"""Fairness across tenants: N connections, each with a big backlog and the same budget, sending at once.

Reproduce (PostgreSQL and Redis; the script drops and re-creates the database):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_send REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/send_fairness.py --connections 10 --backlog 5000 --per-minute 1000 --minutes 3

Each connection belongs to its own tenant and has `--backlog` live rows waiting (as after a CSV import), more than
it can send in the run. One worker pool on the live queues, as production runs it. After the release, the first
10 seconds are a warm-up; then every connection's successful tries are counted per minute (by when each request
started, from the ledger's attempts). Target: each gets >= 95 % of its budget over the run and >= 90 % in every
minute. Each tenant has its own ActionKit (a sandbox on its own port) enforcing the same budget, so a 429 would
show an overrun; the shared limiter is what holds each connection to its budget.
"""

from __future__ import annotations

import argparse
import os
import time

from actblue_common import django_setup, sandbox, session_cpu_seconds, setup_env, stop
from machine import describe
from send_common import (
    queue_groups,
    release,
    seed_line_items,
    seed_live_backlog,
    sent_times,
    start_pool,
    start_sandboxes,
    tenant,
)

WARM_UP_SECONDS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--backlog", type=int, default=5000)
    parser.add_argument("--per-minute", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    procs, hosts = start_sandboxes(args.connections, per_minute=args.per_minute)
    env = setup_env(insecure_host=",".join(hosts))
    django_setup()
    connections = []
    for n in range(args.connections):
        entity, connection = tenant(slug=f"fair{n}", actblue_id=6000 + n, host=hosts[n], per_minute=args.per_minute)
        first_lineitem = 30_000_000 + n * 1_000_000
        first = seed_line_items(entity, actblue_id=6000 + n, count=args.backlog, first_lineitem=first_lineitem)
        seed_live_backlog(connection, count=args.backlog, first_line_item_pk=first, first_lineitem=first_lineitem)
        connections.append(connection)
    live_queues = queue_groups()["live"]
    worker = start_pool(env, queues=live_queues, concurrency=args.concurrency, name="live")
    try:
        time.sleep(5)  # Worker boot is not part of the run.
        release(*connections)
        since = time.time() + WARM_UP_SECONDS
        time.sleep(WARM_UP_SECONDS)
        cpu0, load0 = session_cpu_seconds(worker.pid), os.getloadavg()[0]
        time.sleep(args.minutes * 60 + 3)  # A little extra so the last minute's rows are recorded.
        cpu = session_cpu_seconds(worker.pid) - cpu0
        load1 = os.getloadavg()[0]
    finally:
        stop(worker)
        stats = [sandbox(host, "GET", "stats") for host in hosts]
        for proc in procs:
            stop(proc)
    until = since + args.minutes * 60
    print(describe())
    print(f"{args.connections} connections x {args.backlog:,}-row backlog, budget {args.per_minute}/min each, "
          f"{args.minutes} min measured after a {WARM_UP_SECONDS} s warm-up, live pool of {args.concurrency} processes")
    print("| connection | sent | % of budget | " + " | ".join(f"minute {m + 1} %" for m in range(args.minutes)) + " |")
    print("|---|---:|---:|" + "---:|" * args.minutes)
    total, worst_run, worst_minute = 0, 100.0, 100.0
    for n, connection in enumerate(connections):
        times = sent_times(connection, since, until)
        minutes = [sum(1 for t in times if since + m * 60 <= t < since + (m + 1) * 60) for m in range(args.minutes)]
        share = len(times) * 100 / (args.per_minute * args.minutes)
        per_minute = [count * 100 / args.per_minute for count in minutes]
        total += len(times)
        worst_run, worst_minute = min(worst_run, share), min(worst_minute, *per_minute)
        print(f"| fair{n} | {len(times):,} | {share:.1f} | " + " | ".join(f"{p:.1f}" for p in per_minute) + " |")
    print(f"lowest share of budget over the run: {worst_run:.1f} % (target >= 95); lowest in any minute: "
          f"{worst_minute:.1f} % (target >= 90)")
    print(f"total {total:,} sent = {total / (args.minutes * 60):.1f}/s; worker CPU {cpu * 1000 / max(1, total):.2f} ms "
          f"per notification; load average {load0:.2f} -> {load1:.2f}")
    print(f"sandboxes: orders={sum(s['orders'] for s in stats):,} duplicates_prevented="
          f"{sum(s['duplicates_prevented'] for s in stats)} 429s={sum(s['429s_served'] for s in stats)}")


if __name__ == "__main__":
    main()
