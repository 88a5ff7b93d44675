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
    body,
    django_setup,
    make_connection,
    release_and_sweep,
    sandbox,
    setup_env,
    start_sandbox,
    start_worker,
    stop,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--per-minute", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    sandbox_proc, host = start_sandbox()
    env = setup_env(insecure_host=host)
    django_setup()
    from actblue.services.ledger import contribution_record
    from integrations.models import Delivery

    entity, connection = make_connection(host, per_minute=args.per_minute)
    backlog = int(args.per_minute * args.minutes * 1.1) + 100
    for n in range(backlog):
        contribution_record(entity=entity, data=body(n))
    sandbox(host, "POST", "limits", json={"per_minute": args.per_minute, "max_concurrent": None})
    worker = start_worker(env, concurrency=args.concurrency)
    delivered = Delivery.objects.filter(connection=connection, status=Delivery.Status.SUCCEEDED)
    try:
        release_and_sweep(connection)
        started = time.monotonic()
        time.sleep(args.minutes * 60)
        sent = delivered.count()
        seconds = time.monotonic() - started
    finally:
        stop(worker)
    stats = sandbox(host, "GET", "stats")
    stop(sandbox_proc)
    budget = args.per_minute * seconds / 60
    retried = Delivery.objects.filter(connection=connection, attempts__gt=1).count()
    print(f"{seconds / 60:.2f} min at {args.per_minute}/min: delivered {sent} of a {budget:.0f} budget = "
          f"{sent * 100 / budget:.1f}% used")
    print(f"sandbox: requests={stats.get('requests')} 429s={stats['429s_served']} "
          f"orders={stats['orders']} duplicates_prevented={stats['duplicates_prevented']}; rows retried: {retried}")


if __name__ == "__main__":
    main()
