"""Fault cases driven through the real contributions pipeline: ActBlue JSON posted to the API with an entity's key,
recorded in the ledger, queued in the outbox and sent by the ActBlue kind to the sandbox's ActBlue endpoint."""

import itertools

import pytest
from django.test import Client
from django.utils import timezone

from tests.faults.conftest import Probe
from tests.plugins.worker import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
_numbers = itertools.count(int(timezone.now().timestamp()) * 1000 + 500_000)


@pytest.fixture
def actblue_probe(ak_sandbox, cast, settings):
    from actblue.kind import CONFIG_ACCOUNT, CONFIG_NOTIFY_MANAGED, CONFIG_USERNAME, KIND
    from actblue.services.profile import actblue_identity_set
    from actionkit.factory import clients_clear
    from integrations.services.api_keys import api_credential_create
    from integrations.services.connections import connection_connect
    from tests.actblue.payloads import ENTITY_A_ID

    ak_sandbox.reset()
    clients_clear()
    settings.ACTIONKIT_INSECURE_HOSTS = list({*settings.ACTIONKIT_INSECURE_HOSTS, ak_sandbox.host})
    actblue_identity_set(entity=cast.entity_a, entity_ids=[ENTITY_A_ID])
    account = "faults-contributions"
    connection = connection_connect(entity=cast.entity_a, kind=KIND, host=ak_sandbox.host, actor=None,
                                    config={CONFIG_USERNAME: ak_sandbox.username, CONFIG_ACCOUNT: account,
                                            CONFIG_NOTIFY_MANAGED: False},
                                    secrets={"password": ak_sandbox.password})
    _, key = api_credential_create(entity=cast.entity_a, name="faults", actor=None)
    probe = Probe(ak_sandbox, connection, account)
    probe.api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    yield probe
    clients_clear()


def _post_contributions(probe, count: int) -> None:
    from tests.actblue.payloads import ENTITY_A_ID, contribution

    for _ in range(count):
        number = next(_numbers)
        body = contribution(lineitem_id=number, order=f"AB{number}", recipients=(ENTITY_A_ID,),
                            email=f"donor{number}@example.org")
        response = probe.api.post("/api/v1/actblue/contributions/", body, content_type="application/json")
        assert response.status_code == 201, response.content
        probe.lineitems.append(number)


def test_contributions_through_500s_and_a_worker_kill(actblue_probe, fault_worker):
    probe = actblue_probe
    probe.sandbox.inject("500", count=6)
    probe.sandbox.inject("slow", count=3, delay=1.5)
    worker = fault_worker(queues="live,housekeeping", beat=True)
    _post_contributions(probe, 15)
    wait_until(lambda: probe.deliveries().filter(status="sending").exists(), timeout=30, message="a send in flight")
    worker.kill()
    _post_contributions(probe, 5)  # Recorded while no worker runs: the API does not depend on the worker.
    worker.start()
    probe.wait_all_delivered(timeout=150, worker=worker)
    result = probe.record("API contributions: 500s + worker SIGKILL", "6 x 500, 3 slow, 1 kill")
    assert (result.expected, result.delivered, result.duplicated, result.lost) == (20, 20, 0, 0)
    probe.assert_status("connected")


def test_contributions_while_credentials_are_revoked(actblue_probe, fault_worker):
    from django.urls import reverse

    from integrations.services.connections import connection_connect

    probe = actblue_probe
    worker = fault_worker(queues="live,housekeeping", beat=True)
    new_password = "rotated-staff-password-88"
    probe.sandbox._control("POST", "staff", json={"username": probe.sandbox.username, "password": new_password})
    try:
        _post_contributions(probe, 8)
        wait_until(lambda: probe.deliveries().filter(connection__halted=True).exists(), timeout=60,
                   message="the connection to halt")
        probe.assert_status("error", "ActionKit rejected the username or password")
        admin = Client()
        admin.force_login(probe.connection.entity.memberships.filter(role="admin").first().user)
        details = admin.get(reverse("actblue:detail", kwargs={"entity_slug": probe.connection.entity.slug}))
        assert "Connection error" in details.content.decode() and new_password not in details.content.decode()
        connection_connect(entity=probe.connection.entity, kind=probe.connection.kind, host=probe.connection.host,
                           config=probe.connection.config, secrets={"password": new_password}, actor=None)
        probe.wait_all_delivered(timeout=120, worker=worker)
    finally:
        probe.sandbox._control("POST", "staff", json={"username": probe.sandbox.username, "password": probe.sandbox.password})
    result = probe.record("API contributions: credentials revoked", "password changed, then reconnected")
    assert (result.expected, result.delivered, result.duplicated, result.lost, result.resent) == (8, 8, 0, 0, 0)
    probe.assert_status("connected")
