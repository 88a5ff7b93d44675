"""Set-up shared by the member-sync benchmarks: a sandbox subprocess, a fresh database, Django, a connection."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def control(host: str, method: str, path: str, **kw) -> dict:
    response = requests.request(method, f"http://{host}/_sandbox/{path}", timeout=600, **kw)
    response.raise_for_status()
    return response.json()


def django_setup(*, tmp: Path, insecure_host: str, records_per_minute: int) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ["VAR_DIR"] = str(tmp / "var")
    os.environ["ACTIONKIT_INSECURE_HOSTS"] = insecure_host
    os.environ["ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE"] = str(records_per_minute)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DEBUG"] = "false"  # As in production: DEBUG keeps the last 9,000 SQL statements in memory.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if os.environ["DATABASE_URL"].startswith("postgres"):  # A reused database starts empty, as SQLite's temp file does.
        call_command("flush", interactive=False, verbosity=0)


def activated_connection(host: str):
    """A connection with Sync Accounts on, made through the services (activation's poll is not started here)."""
    from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
    from integrations.models import Entity
    from integrations.services.connections import connection_update_config
    from strive.services.activation import strive_connect

    entity = Entity.objects.create(name="Bench", slug=f"bench-{time.monotonic_ns()}")
    connection = strive_connect(entity=entity, host=host, username=DEMO_USERNAME, password=DEMO_PASSWORD, actor=None)
    return connection_update_config(connection=connection, changes={"sync_accounts": True}, actor=None)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
