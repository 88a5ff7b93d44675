"""Live latency under load: live contributions of tenant A while A's own backfill, B's initial member sync and C's
CSV import all run.

Reproduce (PostgreSQL and Redis; the script drops and re-creates the database):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_send REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/send_live_latency.py --backfill-rows 100000 --users 10000 --import-rows 5000 \\
        --live 100 --minutes 5

- A: an ActBlue connection with a 1000/min budget (its sandbox enforces 1000/min too) and `--backfill-rows` line
  items of history, resent with a backfill ("all") started first; the live contributions are A's as well, so they
  compete with the backfill for the same budget.
- B: an ActionKit connection with Sync Accounts on whose sandbox holds `--users` users: its initial user poll runs.
- C: an ActBlue connection with a 1000/min budget; `--import-rows` rows of an ActBlue paid export are imported
  as the upload page does it: a background import job on the imports queue, each row a live outbox row of C.
- Workers as in production and `make run`: the pools of scripts/run.py (live and housekeeping; polls and imports;
  backfills), each with its own processes.

Once A's backfill is planned and sending, `--live` contributions are recorded through contribution_record, spread
evenly over `--minutes`. Latency is from the commit of the recording to the answer of ActionKit's sandbox (the
try's start plus its duration, from the ledger). Targets: p99 <= 5 s, zero 429s from any sandbox, and A's backfill
sending >= 95 % of what the live rows leave of A's budget over the same window.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from datetime import timedelta

from actblue_common import body, django_setup, sandbox, setup_env, stop
from machine import describe
from send_common import (
    queue_groups,
    seed_line_items,
    sent_times,
    start_pool,
    start_sandboxes,
    summary,
    tenant,
    wait_for,
)

A_ID, C_ID = 7001, 7003
BUDGET = 1000


def export_csv(path: str, rows: int) -> None:
    """An ActBlue paid export of `rows` one-line-item contributions to C."""
    columns = ["Receipt ID", "Date", "Amount", "Recipient ID", "Recipient", "Lineitem ID", "Donor First Name",
               "Donor Last Name", "Donor Email", "Donor ZIP", "Donor Country", "Fundraising Page"]
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for n in range(rows):
            stamp = f"2024-02-{1 + n // 80000:02d} {(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}"
            writer.writerow([f"CSV{n}", stamp, "10.00", C_ID, "Bench C", 50_000_000 + n, "Csv", f"Donor{n}",
                             f"csv{n}@bench.example", "94801", "United States", "bench-c"])


def import_start(entity, connection, path: str):
    """The upload page's path: the file is checked, stored, and imported by the imports queue's workers."""
    from actblue.services.csv_jobs import contributions_import_start

    with open(path, "rb") as upload:
        return contributions_import_start(entity=entity, connection=connection, data=upload.read(),
                                          file_name="paid.csv", kind="paid", actor=None)


def live_body(n: int) -> dict:
    data = body(90_000 + n)
    data["lineitems"][0].update(entityId=A_ID, lineitemId=80_000_000 + n)
    data["contribution"]["orderNumber"] = f"LIVE{n}"
    return data


def setup(args, hosts):
    from members_common import activated_connection

    from actblue.services.backfill import plan_backfill_chunk  # noqa: F401 - the kind's planner must be registered.
    from integrations.models import Connection

    entity_a, connection_a = tenant(slug="live-a", actblue_id=A_ID, host=hosts[0], per_minute=BUDGET, halted=False)
    seed_line_items(entity_a, actblue_id=A_ID, count=args.backfill_rows, first_lineitem=60_000_000)
    connection_b = activated_connection(hosts[1])
    Connection.objects.filter(pk=connection_b.pk).update(records_per_minute=BUDGET)
    entity_c, connection_c = tenant(slug="live-c", actblue_id=C_ID, host=hosts[2], per_minute=BUDGET, halted=False)
    return entity_a, connection_a, connection_b, entity_c, connection_c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backfill-rows", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--import-rows", type=int, default=5_000)
    parser.add_argument("--live", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--live-concurrency", type=int, default=2)
    parser.add_argument("--bulk-concurrency", type=int, default=2, help="processes of each pool but live")
    args = parser.parse_args()
    procs, hosts = start_sandboxes(3, per_minute=BUDGET)
    sandbox(hosts[1], "POST", "seed", json={"users": args.users})
    env = setup_env(insecure_host=",".join(hosts))
    django_setup()
    from actblue.services.ledger import contribution_record
    from integrations.models import Backfill, Delivery, DeliveryAttempt, ImportJob
    from integrations.services.backfills import backfill_start
    from strive.tasks import users_poll

    entity_a, connection_a, connection_b, entity_c, connection_c = setup(args, hosts)
    csv_path = os.path.join(tempfile.mkdtemp(prefix="send-live-"), "paid.csv")
    export_csv(csv_path, args.import_rows)
    groups = queue_groups()
    pools = [start_pool(env, queues=queues, concurrency=args.live_concurrency if pool == "live" else
                        args.bulk_concurrency, name=pool) for pool, queues in groups.items()]
    try:
        time.sleep(5)  # Worker boot.
        backfill = backfill_start(connection=connection_a, params={"mode": "all", "email_subscription": False}, actor=None)
        users_poll.delay(connection_b.pk)
        job = import_start(entity_c, connection_c, csv_path)
        planned = Backfill.objects.filter(pk=backfill.pk, status=Backfill.Status.RUNNING)
        wait_for(planned.exists, timeout=900, every=1)
        time.sleep(5)  # The backfill's sending gets going.
        gap = args.minutes * 60 / args.live
        recorded: dict[str, float] = {}
        window_start = time.time()
        for n in range(args.live):
            time.sleep(max(0.0, window_start + n * gap - time.time()))
            contribution_record(entity=entity_a, data=live_body(n))
            recorded[f"actblue:contribution:{80_000_000 + n}"] = time.time()
        window_end = time.time()
        live_rows = Delivery.objects.filter(connection=connection_a, key__in=list(recorded))
        wait_for(lambda: live_rows.filter(status=Delivery.Status.SUCCEEDED).count() >= args.live, timeout=120)
        job = ImportJob.objects.get(pk=job.pk)
        import_state = f"{job.status}, {job.rows_done:,} rows read, {job.rows_failed} errors"
        stats = [sandbox(host, "GET", "stats") for host in hosts]
    finally:
        for proc in (*pools, *procs):
            stop(proc)
    answered = {key: started + timedelta(milliseconds=ms) for key, started, ms in DeliveryAttempt.objects.filter(
        delivery__in=live_rows, outcome="success").values_list("delivery__key", "started_at", "duration_ms")}
    latencies = [answered[key].timestamp() - recorded[key] for key in answered]
    window = window_end - window_start
    sent_a = sent_times(connection_a, window_start, window_end)
    live_in_window = sum(1 for key in answered if window_start <= answered[key].timestamp() < window_end)
    budget = BUDGET * window / 60
    backfill_sent = len(sent_a) - live_in_window
    print(describe())
    print(f"A: {args.backfill_rows:,}-row backfill at {BUDGET}/min; B: initial sync of {args.users:,} users; C: CSV import "
          f"of {args.import_rows:,} rows ({import_state} at the end); {args.live} live contributions to A over "
          f"{window:.0f} s; pools: " + ", ".join(f"{pool}={queues}" for pool, queues in groups.items())
          + f" (live x{args.live_concurrency}, others x{args.bulk_concurrency} each)")
    print(f"live latency, recorded -> ActionKit answered ({len(latencies)} of {args.live} delivered): {summary(latencies)}")
    print(f"A's budget over the window {budget:.0f}; live rows {live_in_window}; backfill rows sent {backfill_sent} = "
          f"{backfill_sent * 100 / (budget - live_in_window):.1f} % of what live left (target >= 95; the client plans "
          f"at 98 % of the budget)")
    print("429s served: " + ", ".join(f"{name}={s['429s_served']}" for name, s in zip("ABC", stats, strict=True)))
    print(f"C: {Delivery.objects.filter(connection=connection_c, status=Delivery.Status.SUCCEEDED).count():,} delivered; "
          f"B: {stats[1]['requests']:,} requests to its sandbox")


if __name__ == "__main__":
    main()
