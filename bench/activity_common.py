"""Shared set-up for the activity benchmarks: a sandbox subprocess, a database, Django, and a connection.

DATABASE_URL picks the database (default: a fresh SQLite file in a temp dir). For PostgreSQL, the named database
is created when missing. REDIS_URL, when set, is the broker and limiter backend, as in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def start_sandbox(tmp: Path, *, new_session: bool = False, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """The ActionKit sandbox on a loopback port (a free one unless `port` is given), its database and log in `tmp`;
    every benchmark starts it here.

    `new_session` makes it a process group of its own, for callers that stop it with os.killpg."""
    port = port or free_port()
    proc = subprocess.Popen([sys.executable, "-m", "actionkit.sandbox", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--db", str(tmp / "sandbox.sqlite3")], cwd=ROOT,
                            stdout=open(tmp / "sandbox.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
                            start_new_session=new_session)
    host = f"127.0.0.1:{port}"
    wait_http(f"http://{host}/_sandbox/stats")
    return proc, host


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                            dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def django_setup(*, tmp: Path, insecure_host: str) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ["VAR_DIR"] = str(tmp / "var")
    os.environ["ACTIONKIT_INSECURE_HOSTS"] = insecure_host
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_connection(*, host: str, slug: str):
    from integrations.models import Connection, Entity
    from strive.kind import KIND
    from strive.services.fields import core_mappings_ensure

    Entity.objects.filter(slug=slug).delete()
    entity = Entity.objects.create(name=slug, slug=slug)
    connection = Connection.objects.create(
        entity=entity, kind=KIND, host=host, records_per_minute=100_000_000,
        config={"username": "demo-staff", "sync_accounts": True, "opt_in_field": "sms_opt_in"},
        secrets={"password": "demo-staff-password"})
    core_mappings_ensure(connection=connection)
    return connection


def tmpdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench-activity-"))


def queue_purge(name: str) -> None:
    """No worker runs in a benchmark: drop the tasks it queued so they do not land on someone's real worker."""
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(name)
    except Exception:
        pass


def in_threads(threads: int, run) -> list[tuple[float, int]]:
    """Run `run(index)` in `threads` threads at once; each returns its (latency, status) pairs, joined here."""
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def collect(index: int) -> None:
        own = run(index)
        with lock:
            results.extend(own)

    workers = [threading.Thread(target=collect, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results
