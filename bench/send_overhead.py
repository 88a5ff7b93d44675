"""Durability overhead: the outbox pipeline against a bare `requests` loop sending the same notifications.

Reproduce (PostgreSQL and Redis; the script drops and re-creates the database):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_send REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/send_overhead.py --count 3000 --senders 2

Both sides send the same N ActBlue-format notifications (built from the ledger by actblue.sender.notification_for)
to a fresh sandbox each, with its limits off. The loop: `--senders` processes, each one `requests.Session` POSTing
its share in order. The pipeline: N outbox rows waiting (sending held), a Celery worker with `--senders`
processes on the live queue, the clock from the release to the last row delivered; the connection's budget is set
far above the rate, so the shared limiter runs but never waits. Reported side by side in one run: rates, the
pipeline's share of the loop's rate, and worker CPU per notification.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

from actblue_common import django_setup, sandbox, session_cpu_seconds, setup_env, stop
from machine import describe
from send_common import (
    queue_groups,
    release,
    seed_line_items,
    seed_live_backlog,
    start_pool,
    start_sandbox,
    tenant,
    wait_for,
)

ACTBLUE_ID = 5001
FIRST_LINEITEM = 20_000_000


def _loop_sender(args) -> float:
    url, auth, bodies, start_at = args
    import requests

    session = requests.Session()
    session.auth = auth
    while time.time() < start_at:
        time.sleep(0.005)
    for body in bodies:
        session.post(url, params={"account": "Bench"}, json=body, timeout=30).raise_for_status()
    return time.time()


def loop(host: str, notifications: list[dict], senders: int) -> float:
    """Seconds for `senders` processes to POST every notification once."""
    from actionkit.client import ACTBLUE_WEBHOOK_PATH
    from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME

    start_at = time.time() + 1.0
    shares = [notifications[i::senders] for i in range(senders)]
    jobs = [(f"http://{host}{ACTBLUE_WEBHOOK_PATH}", (DEMO_USERNAME, DEMO_PASSWORD), share, start_at) for share in shares]
    with multiprocessing.get_context("fork").Pool(senders) as pool:
        ends = pool.map(_loop_sender, jobs)
    return max(ends) - start_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--senders", type=int, default=2)
    args = parser.parse_args()
    pipeline_proc, pipeline_host = start_sandbox(0)
    loop_proc, loop_host = start_sandbox(1)
    env = setup_env(insecure_host=f"{pipeline_host},{loop_host}")
    django_setup()
    from actblue.sender import notification_for
    from integrations.models import Delivery

    entity, connection = tenant(slug="overhead", actblue_id=ACTBLUE_ID, host=pipeline_host, per_minute=10_000_000)
    first = seed_line_items(entity, actblue_id=ACTBLUE_ID, count=args.count, first_lineitem=FIRST_LINEITEM)
    seed_live_backlog(connection, count=args.count, first_line_item_pk=first, first_lineitem=FIRST_LINEITEM)
    rows = Delivery.objects.filter(connection=connection)
    notifications = [notification_for(d) for d in rows.order_by("id")]
    try:
        loop_seconds = loop(loop_host, notifications, args.senders)
        loop_stats = sandbox(loop_host, "GET", "stats")
        live_queues, _ = queue_groups()
        worker = start_pool(env, queues=live_queues, concurrency=args.senders, name="live")
        time.sleep(5)  # Worker boot (imports, pool fork) is not part of the pipeline's cost.
        cpu0, load0 = session_cpu_seconds(worker.pid), os.getloadavg()[0]
        started = time.monotonic()
        release(connection)
        done = rows.filter(status=Delivery.Status.SUCCEEDED)
        wait_for(lambda: done.count() >= args.count, timeout=600, every=0.1)
        pipeline_seconds = time.monotonic() - started
        cpu = session_cpu_seconds(worker.pid) - cpu0
        load1 = os.getloadavg()[0]
        stop(worker)
        stats = sandbox(pipeline_host, "GET", "stats")
    finally:
        stop(pipeline_proc)
        stop(loop_proc)
    loop_rate, pipeline_rate = args.count / loop_seconds, done.count() / pipeline_seconds
    print(describe())
    print("| path | notifications | seconds | per second | worker CPU per notification |")
    print("|---|---:|---:|---:|---:|")
    print(f"| bare requests loop, {args.senders} processes | {args.count:,} | {loop_seconds:.1f} | {loop_rate:.0f} | – |")
    print(f"| outbox pipeline, {args.senders} worker processes | {done.count():,} | {pipeline_seconds:.1f} | "
          f"{pipeline_rate:.0f} | {cpu * 1000 / args.count:.2f} ms |")
    print(f"pipeline / loop rate: {pipeline_rate / loop_rate:.2f} (target >= 0.5)")
    print(f"load average (1 min): {load0:.2f} at the release, {load1:.2f} at the end")
    print(f"sandboxes: loop orders={loop_stats['orders']}, pipeline orders={stats['orders']} "
          f"duplicates_prevented={stats['duplicates_prevented']} 429s={stats['429s_served']}")


if __name__ == "__main__":
    main()
