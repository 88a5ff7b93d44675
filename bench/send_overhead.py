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


def pipeline(env_pid: int, connection, count: int) -> tuple[float, float]:
    """(seconds from the release to the last row delivered, worker CPU seconds meanwhile)."""
    from integrations.models import Delivery

    cpu0 = session_cpu_seconds(env_pid)
    started = time.monotonic()
    release(connection)
    done = Delivery.objects.filter(connection=connection, status=Delivery.Status.SUCCEEDED)
    wait_for(lambda: done.count() >= count, timeout=600, every=0.1)
    return time.monotonic() - started, session_cpu_seconds(env_pid) - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="loop and pipeline alternate, each on fresh sandboxes")
    args = parser.parse_args()
    sandboxes = [start_sandbox(i) for i in range(2 * args.rounds)]
    hosts = [host for _, host in sandboxes]
    env = setup_env(insecure_host=",".join(hosts))
    django_setup()
    from actblue.sender import notification_for
    from integrations.models import Delivery

    live_queues = queue_groups()["live"]
    worker = start_pool(env, queues=live_queues, concurrency=args.senders, name="live")
    rounds = []
    try:
        time.sleep(5)  # Worker boot (imports, pool fork) is not part of the pipeline's cost.
        for r in range(args.rounds):
            pipeline_host, loop_host = hosts[2 * r], hosts[2 * r + 1]
            entity, connection = tenant(slug=f"overhead{r}", actblue_id=ACTBLUE_ID + r, host=pipeline_host,
                                        per_minute=10_000_000)
            first_lineitem = FIRST_LINEITEM + r * 1_000_000
            first = seed_line_items(entity, actblue_id=ACTBLUE_ID + r, count=args.count, first_lineitem=first_lineitem)
            seed_live_backlog(connection, count=args.count, first_line_item_pk=first, first_lineitem=first_lineitem)
            notifications = [notification_for(d) for d in Delivery.objects.filter(connection=connection).order_by("id")]
            load0 = os.getloadavg()[0]
            loop_seconds = loop(loop_host, notifications, args.senders)
            pipeline_seconds, cpu = pipeline(worker.pid, connection, args.count)
            stats = [sandbox(host, "GET", "stats") for host in (loop_host, pipeline_host)]
            rounds.append((loop_seconds, pipeline_seconds, cpu, load0, os.getloadavg()[0], stats))
    finally:
        stop(worker)
        for proc, _ in sandboxes:
            stop(proc)
    print(describe())
    print(f"{args.count:,} notifications per side per round; {args.senders} loop processes, {args.senders} worker processes")
    print("| round | loop /s | pipeline /s | pipeline / loop | worker CPU per notification | load (1 min) | orders loop / pipeline | 429s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for r, (loop_seconds, pipeline_seconds, cpu, load0, load1, stats) in enumerate(rounds, 1):
        loop_rate, pipeline_rate = args.count / loop_seconds, args.count / pipeline_seconds
        ratios.append(pipeline_rate / loop_rate)
        print(f"| {r} | {loop_rate:.0f} | {pipeline_rate:.0f} | {ratios[-1]:.2f} | {cpu * 1000 / args.count:.2f} ms | "
              f"{load0:.1f}–{load1:.1f} | {stats[0]['orders']:,} / {stats[1]['orders']:,} | "
              f"{stats[0]['429s_served'] + stats[1]['429s_served']} |")
    print(f"pipeline / loop, median of {len(ratios)} rounds: {sorted(ratios)[len(ratios) // 2]:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
