"""Fault-suite plumbing: the probe kind, a worker that loads it, one tenant per test, and the summary table.

Every test records a FaultResult; `pytest_terminal_summary` prints them as one table at the end of the run.
Counts come from the sandbox (what ActionKit holds), not from our own ledger, so "lost" and "duplicated" are
what a customer would see.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone

from tests.faults import probe_kind
from tests.plugins import worker as worker_plugin
from tests.plugins.worker import wait_until

RESULTS: list[FaultResult] = []
_lineitems = itertools.count(int(timezone.now().timestamp()) * 1000)


@dataclass
class FaultResult:
    fault: str
    injected: str
    expected: int
    delivered: int
    duplicated: int
    lost: int
    resent: int  # Repeats ActionKit absorbed as duplicates of an existing order (at-least-once sending).


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS:
        return
    header = ("fault", "injected", "expected", "delivered", "duplicated", "lost", "resent (deduplicated by AK)")
    rows = [header] + [(r.fault, r.injected, str(r.expected), str(r.delivered), str(r.duplicated), str(r.lost),
                        str(r.resent)) for r in RESULTS]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    terminalreporter.section("fault suite")
    for index, row in enumerate(rows):
        terminalreporter.write_line(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if index == 0:
            terminalreporter.write_line("-+-".join("-" * w for w in widths))


class ProbeWorker(worker_plugin.WorkerProcess):
    """The plugin's worker, started with `--include tests.faults.worker_include` so it knows the probe kind."""

    extra_args = ("--include", "tests.faults.worker_include")


# Beat gives each periodic task an expiry of 0.9 x its interval; at the plugin's 2 s sweep interval a busy machine
# lets sweeps expire in the broker before a worker takes them. 5 s keeps recovery quick and the sweeps alive.
FAULT_TIMINGS = {"SWEEP_INTERVAL_SECONDS": "5"}


@pytest.fixture
def fault_worker(celery_worker, monkeypatch):
    """`celery_worker`, but every worker it starts loads the probe kind."""
    monkeypatch.setattr(worker_plugin, "WorkerProcess", ProbeWorker)

    def start(*, env: dict | None = None, **kwargs):
        return celery_worker(env={**FAULT_TIMINGS, **(env or {})}, **kwargs)

    return start


class Probe:
    """One tenant with a probe connection to the sandbox, and the bookkeeping of one fault case."""

    def __init__(self, sandbox, connection, account: str):
        self.sandbox, self.connection, self.account = sandbox, connection, account
        self.lineitems: list[int] = []
        self.resent_before = sandbox.stats()["duplicates_prevented"]

    def enqueue(self, count: int) -> list[int]:
        from integrations.services.deliveries import delivery_enqueue

        ids = []
        for _ in range(count):
            lineitem = next(_lineitems)
            with transaction.atomic():
                delivery, _ = delivery_enqueue(connection=self.connection, key=f"probe:{lineitem}",
                                               event_type="contribution", payload=notification(lineitem))
            self.lineitems.append(lineitem)
            ids.append(delivery.pk)
        return ids

    def deliveries(self):
        from integrations.models import Delivery

        return Delivery.objects.filter(connection=self.connection)

    def wait_all_delivered(self, timeout: float = 120, worker=None) -> None:
        def done():
            return self.deliveries().exclude(status="succeeded").count() == 0

        try:
            wait_until(done, timeout=timeout, message=f"all {len(self.lineitems)} deliveries to succeed")
        except AssertionError:
            states = list(self.deliveries().values_list("id", "status", "attempts", "last_error"))
            raise AssertionError(f"Not all delivered: {states}\n{worker.tail() if worker else ''}") from None

    def orders(self) -> list[dict]:
        found, offset = [], 0
        while True:
            page = self.sandbox._control("GET", "orders", params={"account": self.account, "_limit": 100,
                                                                 "_offset": offset})["objects"]
            found += [order for order in page if order.get("account", self.account) == self.account]
            if len(page) < 100:
                return found
            offset += 100

    def record(self, fault: str, injected: str) -> FaultResult:
        import_ids = [order["import_id"] for order in self.orders()]
        expected = {f"ab-{lineitem}" for lineitem in self.lineitems}
        delivered = len(expected & set(import_ids))
        result = FaultResult(fault=fault, injected=injected, expected=len(expected), delivered=delivered,
                             duplicated=len(import_ids) - len(set(import_ids)) + len(set(import_ids) - expected),
                             lost=len(expected) - delivered,
                             resent=self.sandbox.stats()["duplicates_prevented"] - self.resent_before)
        RESULTS.append(result)
        return result

    def assert_status(self, status: str, reason_contains: str = "") -> None:
        self.connection.refresh_from_db()
        assert self.connection.status == status, (self.connection.status, self.connection.status_reason)
        assert reason_contains in self.connection.status_reason


def notification(lineitem: int) -> dict:
    """An ActBlue-format contribution with one line item, as the contributions pipeline sends it."""
    return {
        "donor": {"firstname": "Fault", "lastname": f"Probe{lineitem}", "email": f"probe{lineitem}@example.org",
                  "addr1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701", "country": "United States"},
        "contribution": {"orderNumber": f"AB{lineitem}", "contributionForm": "fault-probe", "refcode": "faults",
                         "createdAt": timezone.now().isoformat(), "isRecurring": False},
        "lineitems": [{"lineitemId": lineitem, "amount": "10.00", "entityId": 1, "committeeName": "Fault PAC"}],
    }


@pytest.fixture
def probe(request, ak_sandbox, transactional_db, settings):
    from integrations import registry
    from integrations.models import Connection, Entity

    ak_sandbox.reset()
    probe_kind.register()
    settings.ACTIONKIT_INSECURE_HOSTS = list({*settings.ACTIONKIT_INSECURE_HOSTS, ak_sandbox.host})
    name = request.node.name.removeprefix("test_")[:40]
    entity = Entity.objects.create(name=f"Faults {name}", slug=f"faults-{name}".replace("_", "-")[:80])
    connection = Connection.objects.create(entity=entity, kind=probe_kind.SLUG, host=ak_sandbox.host,
                                           config={"username": ak_sandbox.username, "account": f"faults-{name}"},
                                           secrets={"password": ak_sandbox.password})
    yield Probe(ak_sandbox, connection, f"faults-{name}")
    registry._KINDS.pop(probe_kind.SLUG, None)  # Other suites' hub pages must not show the probe tile.


@pytest.fixture
def hub_page():
    """The entity's Integrations page as its admin sees it: where the probe's status badge is shown."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from integrations.models import Membership

    def render(probe) -> str:
        entity = probe.connection.entity
        user, _ = get_user_model().objects.get_or_create(username=f"admin-{entity.slug}"[:150])
        Membership.objects.get_or_create(user=user, entity=entity, defaults={"role": Membership.Role.ADMIN})
        client = Client()
        client.force_login(user)
        page = client.get(f"/e/{entity.slug}/integrations/").content.decode()
        start = page.index('data-kind="faultprobe"')
        return page[start:page.index("</article>", start)]

    return render
