"""Actions processed per second from a poll of N actions on one synced page, against the sandbox (limit off).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_activity REDIS_URL=redis://127.0.0.1:6379/14 \
     .venv/bin/python bench/activity_poll.py [--actions 100000 --users 2000]

Three passes through the live path (client_for(connection) with its throttle, actions_ingest: resolve users,
insert, claim, page group, ActionField groups, automations):
  cold      the page's initial import while its users are not linked yet (each new user is read from ActionKit
            and goes through the member sync: 2 extra requests per user);
  warm      the same import again on a second page whose users are all linked (the usual case: the users poll
            has run since activation);
  re-poll   the incremental poll seeing every action again: all already processed, nothing done twice.
"""

from __future__ import annotations

import argparse
import time

from activity_common import bench_connection, django_setup, start_sandbox, tmpdir
from machine import describe


def _seed(base_url: str, *, users: int, actions: int) -> None:
    import requests

    http = requests.Session()
    http.post(f"{base_url}/_sandbox/reset", timeout=60).raise_for_status()
    http.post(f"{base_url}/_sandbox/limits", json={"per_minute": None, "max_concurrent": None}, timeout=10)
    # Two pages, the actions split evenly: the first is imported cold, the second warm.
    http.post(f"{base_url}/_sandbox/seed", json={"users": users, "pages": 2, "actions": actions * 2},
              timeout=600).raise_for_status()


def _sync(page):
    from django.utils import timezone

    from strive.activity.models import Page
    from strive.models import Group

    group = Group.objects.create(entity_id=page.connection.entity_id, name=page.name, kind=Group.Kind.PAGE,
                                 connection_id=page.connection_id)
    Page.objects.filter(pk=page.pk).update(synced=True, synced_at=timezone.now(), group=group, import_status="running")


class TimedClient:
    """Wraps the client and adds up the seconds spent waiting on ActionKit, generators included."""

    def __init__(self, client):
        self.client, self.waited = client, 0.0

    def __getattr__(self, name):
        method = getattr(self.client, name)

        def call(*args, **kwargs):
            started = time.perf_counter()
            result = method(*args, **kwargs)
            self.waited += time.perf_counter() - started
            return self._timed_iter(result) if hasattr(result, "__next__") else result

        return call

    def _timed_iter(self, iterator):
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                self.waited += time.perf_counter() - started
                return
            self.waited += time.perf_counter() - started
            yield item


def _timed(label: str, client: TimedClient, fn) -> tuple[str, int, float, float]:
    client.waited = 0.0
    started = time.perf_counter()
    count = fn()
    return label, count, time.perf_counter() - started, client.waited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=100_000, help="actions per page")
    parser.add_argument("--users", type=int, default=2_000)
    args = parser.parse_args()
    tmp = tmpdir()
    sandbox, host = start_sandbox(tmp)
    try:
        django_setup(tmp=tmp, insecure_host=host)
        _seed(f"http://{host}", users=args.users, actions=args.actions)
        rows = run(host=host)
    finally:
        sandbox.terminate()
    print(f"{describe()}; db: {_db()}; users: {args.users}")
    print("| pass | actions | seconds | actions/s | of which waiting on ActionKit (s) | actions/s of our own work |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, count, seconds, waited in rows:
        print(f"| {label} | {count:,} | {seconds:.1f} | {count / seconds:,.0f} | {waited:.1f} | "
              f"{count / max(seconds - waited, 1e-9):,.0f} |")


def run(*, host: str) -> list[tuple[str, int, float]]:
    from actionkit.factory import client_for
    from strive.activity.models import Action, Page
    from strive.activity.services.pages import page_import, pages_pull
    from strive.activity.services.poll import actions_poll

    connection = bench_connection(host=host, slug="bench-activity-poll")
    client = TimedClient(client_for(connection))
    pages_pull(connection=connection, client=client)
    cold, warm = Page.objects.filter(connection=connection).order_by("ak_id")[:2]
    _sync(cold)
    rows = [_timed("cold import (members created)", client, lambda: page_import(page_id=cold.pk, client=client))]
    _sync(warm)
    rows.append(_timed("warm import (users linked)", client, lambda: page_import(page_id=warm.pk, client=client)))
    from integrations.models import SyncCursor

    SyncCursor.objects.filter(connection=connection, stream="actions").delete()
    Page.objects.filter(connection=connection).update(synced_at="2000-01-01T00:00:00Z")  # Poll from the start.
    rows.append(_timed("re-poll (all already processed)", client,
                       lambda: actions_poll(connection=connection, client=client).received))
    processed = Action.objects.filter(connection=connection, processed_at__isnull=False).count()
    print(f"stored and processed once: {processed:,} actions")
    return rows


def _db() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
