"""A 2,000-row ActBlue paid export: time to import it fresh and to re-import it, and the broker messages each queued.

Reproduce (PostgreSQL and Redis required; the database is dropped and re-created):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_csv REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python bench/csv_reimport.py --rows 2000

Two tenants, each with a sendable ActionKit connection and no worker running (nothing is sent; the send tasks
queued on the `deliveries` list in Redis are counted, then purged):
- "job": the production path. import_file_read + import_job_create (what the upload request does), then
  integrations.services.imports.import_job_run slice after slice (the hand-over to a fresh task is run inline).
- "per-row": the path uploads took before background jobs: each row validated and recorded by contribution_record
  in its own transaction, each new line item's outbox row queued by delivery_enqueue (one send task per row).
"""

import argparse
import csv
import io
import json
import os
import sys
import time

from actblue_common import django_setup, setup_env

HEADER = ("Receipt ID,Date,Amount,Recurring Total Months,Recurrence Number,Recipient,Recipient ID,Fundraising Page,"
          "Donor First Name,Donor Last Name,Donor Email,Donor ZIP,Payment Date,Lineitem ID")


def export(rows: int) -> str:
    lines = [f"B{n},2024-03-01 10:00:00,{10 + n % 50}.00,1,1,Bench PAC,5001,bench-form,Bench,Donor{n},d{n}@bench.example,"
             f"9{n % 10000:04d},2024-03-01 10:00:01,{5_000_000 + n}" for n in range(rows)]
    return "\n".join([HEADER, *lines]) + "\n"


def tenant(slug: str):
    from actblue.kind import KIND
    from actblue.services.profile import actblue_identity_set
    from integrations.models import Entity
    from integrations.services.connections import connection_connect

    entity = Entity.objects.create(slug=slug, name=f"Bench {slug}")
    actblue_identity_set(entity=entity, entity_ids=[5001])
    connection = connection_connect(entity=entity, kind=KIND, host="ak.bench.example", actor=None,
                                    config={"username": "bench", "account": "Bench", "notify_managed": False},
                                    secrets={"password": "bench"})
    return entity, connection


def broker_depth() -> int:
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"]).llen("deliveries")


def run_job(entity, text: str) -> dict:
    from actblue.kind import KIND
    from integrations.import_files import import_file_read
    from integrations.models import ImportJob
    from integrations.services import imports

    imports.import_job_queue = lambda job_id: None  # Slices are run inline below instead of by a worker.
    started = time.monotonic()
    file = import_file_read(data=text.encode())
    job = imports.import_job_create(entity=entity, kind=KIND, file_name="bench.csv", file=file, actor=None,
                                    params={"export": "paid"})
    answered = time.monotonic() - started
    slices = 0
    while ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.OPEN).exists():
        imports.import_job_run(job_id=job.pk)
        slices += 1
    job.refresh_from_db()
    return {"seconds": round(time.monotonic() - started, 2), "upload_answered_in_s": round(answered, 3),
            "slices": slices, "recorded": job.rows_recorded, "already_recorded": job.rows_existing,
            "errors": job.rows_failed}


def run_per_row(entity, text: str) -> dict:
    from actblue import serializers
    from actblue.services.csv_import import row_to_notification
    from actblue.services.ledger import contribution_record

    started, recorded, existing = time.monotonic(), 0, 0
    for row in csv.DictReader(io.StringIO(text, newline="")):
        serializer = serializers.ContributionNotificationSerializer(data=row_to_notification(row, kind="paid"))
        serializer.is_valid(raise_exception=True)
        new = bool(contribution_record(entity=entity, data=serializer.validated_data).created)
        recorded, existing = recorded + new, existing + (not new)
    return {"seconds": round(time.monotonic() - started, 2), "recorded": recorded, "already_recorded": existing}


def measure(name: str, runner, entity, connection, text: str) -> dict:
    from integrations.models import Delivery
    from integrations.services.bulkload import tables_analyze

    results = {}
    for attempt in ("fresh", "reimport"):
        depth, rows = broker_depth(), Delivery.objects.filter(connection=connection).count()
        results[attempt] = runner(entity, text) | {
            "deliveries_written": Delivery.objects.filter(connection=connection).count() - rows,
            "send_tasks_queued": broker_depth() - depth}
        tables_analyze(Delivery)
    results["reimport_vs_fresh"] = round(results["reimport"]["seconds"] / results["fresh"]["seconds"], 3)
    return {name: results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_csv")
    setup_env()
    django_setup()
    from activity_common import queue_purge

    queue_purge("deliveries")
    text = export(args.rows)
    report = {"rows": args.rows}
    report |= measure("job", run_job, *tenant("bench-job"), text)
    report |= measure("per_row", run_per_row, *tenant("bench-per-row"), text)
    report["reimport_speedup_vs_per_row"] = round(report["per_row"]["reimport"]["seconds"]
                                                  / report["job"]["reimport"]["seconds"], 1)
    queue_purge("deliveries")
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
