"""Shared set-up for the send-path benchmarks (bench/send_*.py): tenants with their own ActionKit connection,
backlogs written with INSERT ... SELECT, worker pools on the production queue groups, and counts read from the
ledger's attempts (one row per try, stamped when the request started)."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import activity_common
from actblue_common import actblue_connection, celery_worker, insert_series, sandbox, seconds_after

PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "18200"))  # Sandboxes listen on PORT_BASE, PORT_BASE + 1, ...


def start_sandbox(index: int) -> tuple[subprocess.Popen, str]:
    """A fresh sandbox (its own SQLite file) on 127.0.0.1:PORT_BASE + index."""
    return activity_common.start_sandbox(Path(tempfile.mkdtemp(prefix="ak-send-")), new_session=True,
                                         port=PORT_BASE + index)


def start_sandboxes(count: int, *, per_minute: int, max_concurrent: int = 4) -> tuple[tuple, tuple[str, ...]]:
    """`count` fresh sandboxes, each enforcing `per_minute` as ActionKit's limit: (processes, hosts)."""
    procs, hosts = zip(*(start_sandbox(index) for index in range(count)), strict=True)
    for host in hosts:
        sandbox(host, "POST", "limits", json={"per_minute": per_minute, "max_concurrent": max_concurrent})
    return procs, hosts


def queue_groups() -> dict[str, str]:
    """The worker pools `make run` starts and production runs (scripts/run.py POOLS, which docker-compose.yml
    matches): pool name -> its queues, comma-separated as celery -Q takes them."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    try:
        from run import POOLS
    finally:
        sys.path.pop(0)
    return {pool: ",".join(queues) for pool, queues in POOLS.items()}


def start_pool(env: dict, *, queues: str, concurrency: int, name: str) -> subprocess.Popen:
    return celery_worker(env, queues=queues, concurrency=concurrency, log_name=f"worker-{name}.log", node=name)


def tenant(*, slug: str, actblue_id: int, host: str, per_minute: int, halted: bool = True):
    """An entity receiving ActBlue entity `actblue_id`, with an ActionKit connection to `host` (sending halted)."""
    from integrations.models import Entity

    entity = Entity.objects.create(slug=slug, name=f"Bench {slug}")
    return entity, actblue_connection(entity, actblue_id=actblue_id, host=host, per_minute=per_minute, halted=halted)


def seed_line_items(entity, *, actblue_id: int, count: int, first_lineitem: int) -> int:
    """`count` contributions with one line item each; returns the first line item's primary key."""
    from django.db import connection as db

    from actblue.models import Contribution, Form, LineItem

    form = Form.objects.create(name=f"bench-form-{entity.slug}", entity=entity)
    when = seconds_after("2024-01-01 00:00:00", "n")
    insert_series(Contribution, count, {"entity_id": str(entity.pk), "form_id": str(form.pk),
                                        "order_number": f"'{entity.slug}-' || n", "created_at_ab": when,
                                        "donor_email": "'d' || n || '@bench.example'",
                                        "donor_first_name": "'Bench'", "donor_last_name": "'Donor' || n",
                                        "donor_zip": "'94801'", "donor_country": "'United States'"})
    with db.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM actblue_contribution WHERE entity_id = %s", [entity.pk])
        first_contribution = cursor.fetchone()[0]
    insert_series(LineItem, count, {"contribution_id": f"{first_contribution} + n", "form_id": str(form.pk),
                                    "lineitem_id": f"{first_lineitem} + n", "entity_id": str(entity.pk),
                                    "recipient_actblue_id": str(actblue_id), "amount": "10.00", "paid_at": when})
    with db.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM actblue_lineitem WHERE entity_id = %s", [entity.pk])
        return cursor.fetchone()[0]


def seed_live_backlog(connection, *, count: int, first_line_item_pk: int, first_lineitem: int) -> None:
    """Live outbox rows for `count` line items, as a burst of recorded contributions leaves them."""
    from integrations.models import Delivery

    insert_series(Delivery, count, {"connection_id": str(connection.pk), "event_type": "'contribution'",
                                    "key": f"'actblue:contribution:' || ({first_lineitem} + n)",
                                    "source_id": f"{first_line_item_pk} + n", "enqueued_at": "NULL"})


def release(*connections) -> None:
    """Un-halt the connections and start sending, as a reconnect does (the sweep starts a scheduler turn)."""
    from integrations.models import Connection
    from integrations.services.deliveries import deliveries_sweep

    Connection.objects.filter(pk__in=[c.pk for c in connections]).update(halted=False)
    deliveries_sweep()


def sent_times(connection, since_epoch: float, until_epoch: float) -> list[float]:
    """Start times (epoch seconds) of successful tries of `connection` in [since, until)."""
    from datetime import UTC, datetime

    from integrations.models import DeliveryAttempt

    since, until = (datetime.fromtimestamp(t, UTC) for t in (since_epoch, until_epoch))
    rows = DeliveryAttempt.objects.filter(delivery__connection=connection, outcome="success", started_at__gte=since,
                                          started_at__lt=until).values_list("started_at", flat=True)
    return sorted(t.timestamp() for t in rows)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):.2f} s, p90 {percentile(values, 90):.2f} s, p99 {percentile(values, 99):.2f} s, "
            f"max {max(values):.2f} s, mean {statistics.mean(values):.2f} s")


def wait_for(predicate, *, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
