"""At the ActionKit records-per-minute limit: share of the budget used and 429s, over --minutes of steady sending.

Reproduce (PostgreSQL + Redis):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_actblue REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python bench/actblue_ratelimit.py --minutes 5 --per-minute 1000
The sandbox enforces the limit (a 429 for any request beyond it in a sliding minute); the connection's budget is the
same figure, shared by the 2 worker processes through the Redis limiter. A backlog larger than the run can send
is queued first, so the workers are never idle; delivered rows are counted in the measured window only.
"""

import argparse
import time

from actblue_common import (
    make_connection,
    record_contributions,
    release_and_sweep,
    sandbox,
    start_sandbox_and_django,
    start_worker,
    stop,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--per-minute", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--budget", type=int, default=0, help="The connection's records/min; default --per-minute.")
    args = parser.parse_args()
    sandbox_proc, host, env = start_sandbox_and_django()
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import Delivery

    entity, connection = make_connection(host, per_minute=args.budget or args.per_minute)
    record_contributions(entity, int(args.per_minute * args.minutes * 1.1) + 100)
    sandbox(host, "POST", "limits", json={"per_minute": args.per_minute, "max_concurrent": None})
    worker = start_worker(env, concurrency=args.concurrency)
    window = timedelta(minutes=args.minutes)
    try:
        started = timezone.now()  # Before the release: the first sends happen while the sweep is still queueing.
        release_and_sweep(connection)
        time.sleep(args.minutes * 60 + 2)
    finally:
        stop(worker)
    sent = Delivery.objects.filter(connection=connection, delivered_at__gte=started,
                                   delivered_at__lt=started + window).count()
    seconds = window.total_seconds()
    stats = sandbox(host, "GET", "stats")
    stop(sandbox_proc)
    budget = args.per_minute * seconds / 60
    retried = Delivery.objects.filter(connection=connection, attempts__gt=1).count()
    print(f"{seconds / 60:.2f} min, ActionKit limit {args.per_minute}/min, connection budget "
          f"{args.budget or args.per_minute}/min: delivered {sent} of {budget:.0f} allowed = {sent * 100 / budget:.1f}%")
    print(f"sandbox: requests={stats.get('requests')} 429s={stats['429s_served']} "
          f"orders={stats['orders']} duplicates_prevented={stats['duplicates_prevented']}; rows retried: {retried}")


if __name__ == "__main__":
    main()
