"""Shared set-up for the bench/actblue_*.py and bench/send_*.py benchmarks: a fresh database, the ActionKit sandbox,
a real Celery worker, and an entity with an ActionKit connection.

Two set-ups, as the product runs:
- production (the default): PostgreSQL (DATABASE_URL, dropped and re-created) and Redis (REDIS_URL) for the broker,
  the cache and the shared rate limiter;
- the embedded default of `make run` with BENCH_EMBEDDED=1: a fresh SQLite file, the filesystem broker, the file
  cache and the SQLite rate limiter, all under BENCH_VAR_DIR (emptied first), no server at all.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import activity_common
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_actblue"
DEFAULT_REDIS = "redis://127.0.0.1:6379/2"
TICKS = os.sysconf("SC_CLK_TCK")


def start_sandbox() -> tuple[subprocess.Popen, str]:
    """The sandbox in a temporary folder, in a process group of its own (stop() ends it with os.killpg)."""
    return activity_common.start_sandbox(Path(tempfile.mkdtemp(prefix="ak-bench-")), new_session=True)


def sandbox(host: str, method: str, path: str, **kw) -> dict:
    response = requests.request(method, f"http://{host}/_sandbox/{path}", timeout=120, **kw)
    response.raise_for_status()
    return response.json()


def fresh_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres",
             "-d", "postgres", "-qc"]
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)


def embedded() -> bool:
    return os.environ.get("BENCH_EMBEDDED") == "1"


def setup_env(*, insecure_host: str = "", fresh: bool = True) -> dict:
    """Environment for this process and the worker; migrates a fresh database. Call before django.setup()."""
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", str(ROOT / "var" / "bench-actblue")))
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DB),
           "REDIS_URL": os.environ.get("REDIS_URL", DEFAULT_REDIS), "VAR_DIR": str(var_dir),
           "ACTIONKIT_INSECURE_HOSTS": insecure_host, "DJANGO_SETTINGS_MODULE": "config.settings",
           "PYTHONUNBUFFERED": "1", "DEBUG": "0"}  # As in production: DEBUG keeps every SQL string in memory.
    if embedded():
        env.update(DATABASE_URL=f"sqlite:///{var_dir / 'bench.sqlite3'}", REDIS_URL="")
    elif not env["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("Set DATABASE_URL=postgres://... (production), or BENCH_EMBEDDED=1 for the embedded default.")
    os.environ.update(env)
    if fresh and embedded():
        shutil.rmtree(var_dir, ignore_errors=True)
    elif fresh:
        fresh_database(env["DATABASE_URL"])
    var_dir.mkdir(parents=True, exist_ok=True)  # Worker logs, and on the embedded default every store, live here.
    if fresh:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env={**os.environ, **env}, check=True)
    return env


def django_setup() -> None:
    import django

    django.setup()


def celery_worker(env: dict, *, queues: str, concurrency: int, log_name: str, node: str = "") -> subprocess.Popen:
    """A Celery worker on `queues` in a session of its own (stop() ends it with its pool), logging to VAR_DIR/log_name;
    `node` names it (-n node@host) where several run at once."""
    Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    log = open(Path(env["VAR_DIR"]) / log_name, "ab")  # noqa: SIM115 - lives as long as the worker.
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "--concurrency",
                             str(concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
                             "--without-heartbeat", *(["-n", f"{node}@%h"] if node else [])], cwd=ROOT,
                            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def start_worker(env: dict, *, queues: str = "live,housekeeping", concurrency: int = 2) -> subprocess.Popen:
    proc = celery_worker(env, queues=queues, concurrency=concurrency, log_name="worker.log")
    time.sleep(4)
    return proc


def session_cpu_seconds(session_id: int) -> float:
    """User+system CPU of every live process in a session (the worker and its pool children)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # fields[3] is the session id (field 6 of /proc/<pid>/stat).
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICKS


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def start_sandbox_and_django() -> tuple[subprocess.Popen, str, dict]:
    """The sandbox, then the environment that may reach it (a fresh, migrated database) and Django.

    Returns the sandbox process, its host and the environment for start_worker()."""
    sandbox_proc, host = start_sandbox()
    env = setup_env(insecure_host=host)
    django_setup()
    return sandbox_proc, host, env


def actblue_connection(entity, *, actblue_id: int, host: str, per_minute: int, halted: bool = True):
    """`entity` receives ActBlue entity `actblue_id` and gets an ActionKit connection to the sandbox at `host`."""
    from actblue.kind import KIND
    from actblue.services.profile import actblue_identity_set
    from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
    from integrations.models import Connection
    from integrations.services.connections import connection_connect

    actblue_identity_set(entity=entity, entity_ids=[actblue_id])
    connection = connection_connect(entity=entity, kind=KIND, host=host,
                                    config={"username": DEMO_USERNAME, "account": "Bench", "notify_managed": False},
                                    secrets={"password": DEMO_PASSWORD}, actor=None)
    Connection.objects.filter(pk=connection.pk).update(records_per_minute=per_minute, halted=halted)
    connection.refresh_from_db()
    return connection


def make_connection(host: str, *, per_minute: int):
    """An entity linked to ActBlue entity 5001 with an ActionKit connection to the sandbox, sending halted."""
    from integrations.models import Entity

    entity, _ = Entity.objects.get_or_create(slug="bench", defaults={"name": "Bench PAC"})
    return entity, actblue_connection(entity, actblue_id=5001, host=host, per_minute=per_minute)


def body(n: int) -> dict:
    from datetime import UTC, datetime, timedelta

    paid = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    return {"donor": {"firstname": "Bench", "lastname": f"Donor{n}", "email": f"donor{n % 5000}@bench.example",
                      "zip": "94801", "country": "United States"},
            "contribution": {"createdAt": paid, "orderNumber": f"BENCH{n}", "contributionForm": "bench-form",
                             "recurringPeriod": "once", "recurringDuration": "1", "refcodes": {}, "customFields": []},
            "lineitems": [{"lineitemId": 10_000_000 + n, "sequence": 0, "entityId": 5001, "committeeName": "Bench PAC",
                           "amount": "10.00", "paidAt": paid}],
            "form": {"name": "bench-form", "kind": "page"}}


def record_contributions(entity, count: int) -> None:
    """Contributions body(0) .. body(count - 1), each recorded in its own transaction with its outbox row."""
    from actblue.services.ledger import contribution_record

    for n in range(count):
        contribution_record(entity=entity, data=body(n))


def release_and_sweep(connection) -> None:
    """Un-halt the connection and queue every due row (the sweeper's job, done here at once)."""
    from integrations.models import Connection
    from integrations.services.deliveries import deliveries_sweep

    Connection.objects.filter(pk=connection.pk).update(halted=False)
    while deliveries_sweep()["requeued"]:
        pass


def _on_sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def seconds_after(start: str, seconds: str) -> str:
    """SQL for the timestamp `seconds` (an SQL expression) after `start` ('2024-01-01 00:00:00', UTC), as the
    database stores an aware datetime."""
    if _on_sqlite():
        return f"strftime('%Y-%m-%d %H:%M:%f', '{start}', ({seconds}) || ' seconds')"
    return f"timestamptz '{start}+00' + ({seconds}) * interval '1 second'"


def _literal(field) -> str:
    """SQL for a field's Python default, for insert_series."""
    from django.utils import timezone

    if field.has_default() and field.default is timezone.now:
        return "strftime('%Y-%m-%d %H:%M:%f', 'now')" if _on_sqlite() else "now()"
    value = field.get_default()
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("1" if value else "0") if _on_sqlite() else ("true" if value else "false")
    if isinstance(value, dict | list):
        return "'" + json.dumps(value) + ("'" if _on_sqlite() else "'::jsonb")
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def insert_series(model, count: int, overrides: dict[str, str]) -> None:
    """One INSERT ... SELECT over the numbers 0 .. count - 1 (generate_series; a recursive CTE on SQLite): a million
    rows in seconds; `n` is the row number."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    exprs = ", ".join(overrides.get(f.column, _literal(f)) for f in fields)
    table, last = model._meta.db_table, int(count) - 1
    with connection.cursor() as cursor:
        if _on_sqlite():
            cursor.execute(f"WITH RECURSIVE series(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM series WHERE n < {last}) "
                           f"INSERT INTO {table} ({columns}) SELECT {exprs} FROM series")
        else:
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {exprs} FROM generate_series(0, {last}) AS n")
        cursor.execute(f"ANALYZE {model._meta.db_table}")
