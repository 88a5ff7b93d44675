"""Metrics scrape cost with millions of outbox rows: how long one uncached /metrics computation takes.

Run: .venv/bin/python bench/metrics_scrape.py [--rows 2000000] [--engine sqlite|postgres]
SQLite uses a temporary file; PostgreSQL uses (and drops afterwards) a database `bench_metrics` on
postgres://postgres@127.0.0.1:5432 (override with BENCH_PG_URL). Rows: 97% delivered, 1% each pending, failed
and dead, spread over 200 connections, 10% backfill lane; plus 400 poll cursors and 20 running backfills.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_metrics")


def _setup_env(engine: str, tmp: str) -> None:
    os.environ["VAR_DIR"] = tmp
    os.environ.pop("REDIS_URL", None)
    if engine == "postgres":
        name = PG_URL.rsplit("/", 1)[1]
        subprocess.run(["psql", PG_URL.rsplit("/", 1)[0] + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", PG_URL.rsplit("/", 1)[0] + "/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(rows: int, engine: str) -> float:
    from django.db import connection

    from actblue.kind import KIND
    from integrations.models import Backfill, Connection, Entity, SyncCursor

    started = time.monotonic()
    connections = []
    for i in range(200):
        entity = Entity.objects.create(name=f"Tenant {i}", slug=f"tenant-{i}")
        connections.append(Connection.objects.create(entity=entity, kind=KIND, host="ak.example.org"))
    low, high = connections[0].pk, connections[-1].pk
    for conn in connections:
        SyncCursor.objects.create(connection=conn, stream="users")
        SyncCursor.objects.create(connection=conn, stream="actions")
    for conn in connections[:20]:
        Backfill.objects.create(connection=conn, status="running", planned=50_000, succeeded=10_000)
    if engine == "postgres":
        series = f"SELECT g FROM generate_series(1, {rows}) AS g"
        now, minus = "now()", "now() - (g % 86400) * interval '1 second'"
    else:
        series = f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {rows}) SELECT g FROM s"
        now, minus = "strftime('%Y-%m-%d %H:%M:%f', 'now')", "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (g % 86400) || ' seconds')"
    status = ("CASE WHEN g % 100 = 0 THEN 'pending' WHEN g % 100 = 1 THEN 'failed' WHEN g % 100 = 2 THEN 'dead' "
              "ELSE 'succeeded' END")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO integrations_delivery (connection_id, key, event_type, lane, payload, options, status, attempts, "
            "next_attempt_at, last_error, remote_ref, created_at) "
            f"SELECT {low} + (g % ({high - low + 1})), 'k' || g, 'contribution', "
            f"CASE WHEN g % 10 = 0 THEN 'backfill' ELSE 'live' END, '{{}}', '{{}}', {status}, 1, {minus}, '', '', {now} "
            f"FROM ({series}) AS rows")
        if engine == "postgres":
            # Steady state: autovacuum keeps the visibility map current, which is what makes the counts index-only.
            cursor.execute("VACUUM ANALYZE integrations_delivery")
        else:
            cursor.execute("ANALYZE")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database for EXPLAIN afterwards.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup_env(args.engine, tmp)
        from integrations.observability import metrics

        fill = _fill(args.rows, args.engine)
        timings = {}
        for name, fn in [("deliveries by status (one COUNT per status)", metrics.deliveries_by_status),
                         ("oldest due per lane (index seeks)", lambda: metrics.oldest_due_age(metrics.timezone.now())),
                         ("whole /metrics text", metrics.collect)]:
            runs = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - started)
            timings[name] = runs
        print(f"engine={args.engine} rows={args.rows:,} fill={fill:.1f}s")
        print("| part | median ms | max ms |\n|---|---:|---:|")
        for name, runs in timings.items():
            print(f"| {name} | {statistics.median(runs) * 1000:.0f} | {max(runs) * 1000:.0f} |")
        if args.engine == "postgres" and not args.keep:
            from django.db import connection

            connection.close()
            base = PG_URL.rsplit("/", 1)
            subprocess.run(["psql", base[0] + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {base[1]}"], check=False)


if __name__ == "__main__":
    main()
