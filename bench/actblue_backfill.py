"""Backfill planning of N line items: time to plan + enqueue every outbox row, and the planner's peak memory.

Reproduce (PostgreSQL required):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_actblue .venv/bin/python bench/actblue_backfill.py --count 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_actblue .venv/bin/python bench/actblue_backfill.py --count 1000000
Seeding runs in its own process (INSERT ... SELECT generate_series); planning runs in a fresh process that reports its own peak
RSS, so the two figures do not mix. Planning is the production path: integrations.services.backfills.backfill_plan
calling actblue's plan_backfill_chunk chunk after chunk (the hand-over to a new Celery task is done inline here).
"""

import argparse
import json
import resource
import subprocess
import sys
import time

from actblue_common import ROOT, django_setup, insert_series, make_connection, seconds_after, setup_env


def seed(count: int) -> None:
    from django.db import connection as db

    from actblue.models import Contribution, Form, LineItem

    entity, connection = make_connection("ak.example.org", per_minute=1000)
    form = Form.objects.create(name="bench-form", entity=entity)
    when = seconds_after("2024-01-01 00:00:00", "n")
    insert_series(Contribution, count, {"entity_id": str(entity.pk), "form_id": str(form.pk), "order_number": "'B' || n",
                                        "created_at_ab": when, "donor_email": "'d' || n || '@bench.example'"})
    with db.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM actblue_contribution")
        first_id = cursor.fetchone()[0]
    insert_series(LineItem, count, {"contribution_id": f"{first_id} + n", "form_id": str(form.pk),
                                    "lineitem_id": "10000000 + n", "entity_id": str(entity.pk),
                                    "recipient_actblue_id": "5001", "amount": "10.00", "paid_at": when})
    print(json.dumps({"connection_id": connection.pk}))


def plan(connection_id: int) -> None:
    from integrations.models import Backfill, Connection, Delivery
    from integrations.services import backfills

    backfills._queue = lambda *args, **kw: None  # The chunks a Celery task would hand over are run inline instead.
    connection = Connection.objects.get(pk=connection_id)
    backfill = Backfill.objects.create(connection=connection, params={"mode": "all", "email_subscription": False})
    started = time.monotonic()
    while Backfill.objects.get(pk=backfill.pk).status == Backfill.Status.PLANNING:
        backfills.backfill_plan(backfill_id=backfill.pk)
    seconds = time.monotonic() - started
    backfill.refresh_from_db()
    rows = Delivery.objects.filter(backfill=backfill).count()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"planned": backfill.planned, "rows": rows, "seconds": round(seconds, 1),
                      "per_second": round(rows / seconds), "peak_rss_mb": round(peak_mb, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=["all", "seed", "plan"], default="all")
    parser.add_argument("--connection", type=int, default=0)
    args = parser.parse_args()
    if args.phase == "all":
        env = setup_env()
        started = time.monotonic()
        out = subprocess.run([sys.executable, __file__, "--phase", "seed", "--count", str(args.count)], cwd=ROOT / "bench",
                             env=env | __import__("os").environ, check=True, capture_output=True, text=True).stdout
        print(f"seeded {args.count} contributions + line items in {time.monotonic() - started:.0f} s")
        connection_id = json.loads(out.strip().splitlines()[-1])["connection_id"]
        out = subprocess.run([sys.executable, __file__, "--phase", "plan", "--connection", str(connection_id)],
                             cwd=ROOT / "bench", check=True, capture_output=True, text=True).stdout
        print("plan:", out.strip().splitlines()[-1])
        return
    setup_env(fresh=False)
    django_setup()
    seed(args.count) if args.phase == "seed" else plan(args.connection)


if __name__ == "__main__":
    main()
