"""Member pushes while an initial sync reads as fast as the budget allows (issue #15): push latency and 429s.

Reproduce: `.venv/bin/python bench/members_push_during_sync.py --seconds 180 --users 3000 --pushes 30` (SQLite and the
SQLite limiter in a temp dir; set REDIS_URL to measure the Redis limiter). The sandbox enforces 1000 records per
rolling minute (429 beyond it) and the connection has the same budget. One user poll runs with read-ahead through
the bulk client; a second thread makes the pushes through the live client, spread at random over the same time,
each as strive/sender does it (look the email up, then one action). Latency is from the push's first request being
asked for to its action answered: the limiter's wait plus two HTTP round trips, not the outbox scheduler's turn
(bench/send_live_latency.py measures that). `--single-class` runs the poll through the live client too, which
queues pushes behind the poll's reads as the limiter did before priority classes.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from activity_common import start_sandbox
from members_common import activated_connection, control, django_setup
from send_common import percentile

BUDGET = 1000  # records per minute
PUSHER = "pusher"  # The thread that makes the pushes.


def run(*, seconds: float, users: int, pushes: int, single_class: bool) -> dict:
    with sandbox_at_budget(users=users) as host:
        return _measure(host, seconds=seconds, pushes=pushes, single_class=single_class)


@contextmanager
def sandbox_at_budget(*, users: int) -> Iterator[str]:
    """A sandbox with `users` seeded that answers 429 beyond BUDGET, and Django set up against it; yields its host.
    (bench/members_ratelimit.py sets up the same inline; a candidate for members_common.)"""
    with tempfile.TemporaryDirectory() as tmp_name:
        proc, host = start_sandbox(Path(tmp_name))
        try:
            for path, body in (("seed", {"users": users}), ("limits", {"per_minute": BUDGET, "max_concurrent": 4})):
                control(host, "POST", path, json=body)
            django_setup(tmp=Path(tmp_name), insecure_host=host, records_per_minute=BUDGET)
            yield host
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _measure(host: str, *, seconds: float, pushes: int, single_class: bool) -> dict:
    from actionkit import factory
    from actionkit.http import BaseClient
    from strive.services import polls
    from strive.services.config import IMPORT_PAGE_TITLE, sync_settings

    served = _count_served(BaseClient)
    connection = activated_connection(host)
    import_page = sync_settings(connection).import_page
    factory.client_for(connection).import_page_ensure(name=import_page, title=IMPORT_PAGE_TITLE)
    if single_class:
        polls.bulk_client_for = factory.client_for  # The poll's reads queue with the pushes, as one class did.
    latencies: list[float] = []
    pusher = threading.Thread(target=_push, args=(connection, import_page, seconds, pushes, latencies), daemon=True,
                              name=PUSHER)
    before = control(host, "GET", "stats")
    started = time.monotonic()
    pusher.start()
    result = polls.users_poll(connection_id=connection.pk, time_budget=seconds)
    elapsed = time.monotonic() - started
    pusher.join(timeout=120)
    after = control(host, "GET", "stats")
    poll_records = sum(n for at, n, pushed in served if not pushed and at >= started)
    return {"seconds": round(elapsed, 1), "single_class": single_class, "poll_status": result.status,
            "users": result.users, "phones": result.phones, "pushes": len(latencies),
            "push_p50_s": round(percentile(latencies, 50), 2), "push_p90_s": round(percentile(latencies, 90), 2),
            "push_p99_s": round(percentile(latencies, 99), 2), "push_max_s": round(max(latencies), 2),
            "poll_share_of_budget": round(poll_records / (BUDGET * elapsed / 60), 3),
            "429s": after["429s_served"] - before["429s_served"]}


def _count_served(client_class) -> list[tuple[float, int, bool]]:
    """(answered at, records ActionKit counted, made by the pusher?) for every request; timed at the answer, as
    the poll reads ahead and a request waits for the limiter well before it is sent."""
    served: list[tuple[float, int, bool]] = []
    original = client_class._request

    def counted(self, *args, **kwargs):
        response = original(self, *args, **kwargs)
        body = response.body if isinstance(response.body, dict) else {}
        served.append((time.monotonic(), len(body.get("objects") or []) or 1, threading.current_thread().name == PUSHER))
        return response

    client_class._request = counted
    return served


def _push(connection, import_page: str, seconds: float, count: int, latencies: list[float]) -> None:
    """HTTP only (no ORM in this thread): what strive/sender sends for one new member."""
    from actionkit.factory import client_for

    rng = random.Random(15)
    due = sorted(rng.uniform(10, seconds - 15) for _ in range(count))  # After the sync is under way; done in time.
    started = time.monotonic()
    client = client_for(connection)
    for index, at in enumerate(due):
        time.sleep(max(0.0, started + at - time.monotonic()))
        asked = time.monotonic()
        email = f"push-{index}-{time.time_ns()}@example.org"
        client.user_by_email(email)
        client.action_process(page=import_page, email=email, core={"first_name": "Push"}, source="strive")
        latencies.append(time.monotonic() - asked)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--pushes", type=int, default=30)
    parser.add_argument("--single-class", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(seconds=args.seconds, users=args.users, pushes=args.pushes, single_class=args.single_class)))
