"""Steady-state delivery: notifications/s end to end (outbox → Celery worker → ActionKit sandbox, limit off) and the
product's CPU ms per notification (worker processes only; the sandbox's CPU is reported apart).

Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_actblue REDIS_URL=redis://127.0.0.1:6379/2 \
    .venv/bin/python bench/actblue_steady.py --count 5000 --concurrency 2
The ledger rows and their outbox rows are written first with sending held; the clock starts when sending is
released and stops when every row is delivered.
"""

import argparse
import os
import time

from actblue_common import (
    make_connection,
    record_contributions,
    release_and_sweep,
    sandbox,
    session_cpu_seconds,
    start_sandbox_and_django,
    start_worker,
    stop,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    sandbox_proc, host, env = start_sandbox_and_django()
    from integrations.models import Delivery

    entity, connection = make_connection(host, per_minute=10_000_000)
    started = time.monotonic()
    record_contributions(entity, args.count)
    record_seconds = time.monotonic() - started
    worker = start_worker(env, concurrency=args.concurrency)
    try:
        cpu0, sandbox_cpu0 = session_cpu_seconds(worker.pid), session_cpu_seconds(sandbox_proc.pid)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        release_and_sweep(connection)
        delivered = Delivery.objects.filter(connection=connection, status=Delivery.Status.SUCCEEDED)
        while delivered.count() < args.count:
            time.sleep(0.2)
        seconds = time.monotonic() - started
        cpu = session_cpu_seconds(worker.pid) - cpu0
        sandbox_cpu = session_cpu_seconds(sandbox_proc.pid) - sandbox_cpu0
        load_after = os.getloadavg()[0]
    finally:
        stop(worker)
    stats = sandbox(host, "GET", "stats")
    stop(sandbox_proc)
    print(f"recorded {args.count} contributions in {record_seconds:.1f} s ({args.count / record_seconds:.0f}/s, "
          f"one transaction each, outbox row included)")
    print(f"delivered {args.count} notifications in {seconds:.1f} s = {args.count / seconds:.0f}/s "
          f"with {args.concurrency} worker processes")
    print(f"worker CPU {cpu * 1000 / args.count:.2f} ms per notification; sandbox CPU "
          f"{sandbox_cpu * 1000 / args.count:.2f} ms per notification")
    print(f"machine load average (1 min) {load_before:.2f} at the release, {load_after:.2f} at the end")
    print(f"sandbox: orders={stats['orders']} duplicates_prevented={stats['duplicates_prevented']} "
          f"429s={stats['429s_served']}")


if __name__ == "__main__":
    main()
