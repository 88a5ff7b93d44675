"""Tenant-supplied hostnames go through the SSRF check at connect, on the settings (reconnect) form, and on every
request a worker makes: a host that resolved to a public address when saved but resolves to a private one now is
refused at send time, before a socket is opened."""

import socket

import pytest
from django.urls import reverse

from actionkit import errors, factory
from actionkit.client import ActionKitClient
from integrations.models import Connection, Delivery

PRIVATE_ANSWERS = ["10.0.0.5", "169.254.169.254", "127.0.0.1", "::1", "fd00::1", "::ffff:192.168.1.1"]


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver: {host: [addresses]}; connecting to anything is recorded and refused."""
    answers: dict[str, list[str]] = {}
    connects: list = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in ("127.0.0.1", "::1", "localhost"):  # The test's own Redis and database, whenever they reconnect.
            return real_getaddrinfo(host, port, *args, **kwargs)
        if host not in answers:
            raise socket.gaierror("no such host")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    def create_connection(address, *args, **kwargs):
        connects.append(address)
        raise OSError("the test network is closed")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr("actionkit.transport.create_connection", create_connection)
    answers["connects"] = connects  # type: ignore[assignment]
    return answers


@pytest.mark.parametrize("address", PRIVATE_ANSWERS)
def test_a_worker_request_to_a_host_that_now_resolves_privately_is_refused(dns, address):
    dns["ak.example.org"] = ["93.184.216.34"]
    client = ActionKitClient("ak.example.org", "staff", "pw", insecure_hosts=[], timeout=(1, 1))  # Saved while public.
    dns["ak.example.org"] = [address]  # DNS rebinding, or the tenant repointed their record.
    with pytest.raises(errors.UnsafeHostError):
        client.actblue_notify(account="A", notification={"lineitems": []})
    assert dns["connects"] == []  # Refused before any socket was opened.


def test_a_mixed_answer_is_refused(dns):
    dns["ak.example.org"] = ["93.184.216.34", "10.1.2.3"]
    with pytest.raises(errors.UnsafeHostError):
        ActionKitClient("ak.example.org", "staff", "pw", insecure_hosts=[]).verify_credentials()
    assert dns["connects"] == []


@pytest.mark.django_db
def test_every_client_the_app_builds_is_guarded(cast, settings):
    """client_for (workers, polls) and client_for_credentials (connect forms) both mount the guarded adapter."""
    from actionkit.factory import client_for, client_for_credentials

    conn = Connection.objects.create(entity=cast.entity_a, kind="actblue_actionkit", host="ak.example.org",
                                     config={"username": "u"}, secrets={"password": "p"})
    for client in (client_for(conn), client_for_credentials(host="ak.example.org", username="u", password="p")):
        for prefix in ("http://", "https://"):
            adapter = client.session.get_adapter(prefix + "ak.example.org/")
            assert type(adapter).__name__ == "GuardedAdapter"


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["10.0.0.5", "localhost", "169.254.169.254", "internal.example.org", "2130706433",
                                  "http://user:pw@ak.example.org", "[::1]"])
def test_the_connect_and_settings_forms_refuse_unsafe_hosts(cast, dns, host):
    dns["internal.example.org"] = ["10.9.8.7"]
    alice = cast.client_for(cast.alice)
    forms = [("actblue:connect", {"username": "staff", "password": "pw", "host": host, "account": ""}),
             ("strive:connect", {"username": "staff", "password": "pw", "host": host})]
    for name, data in forms:
        response = alice.post(reverse(name, kwargs={"entity_slug": cast.entity_a.slug}), data)
        assert response.status_code == 200, f"{name} accepted {host}"
        assert not Connection.objects.filter(entity=cast.entity_a).exists()
    assert dns["connects"] == []


def assert_halted_on_the_hostname(connection, dns) -> None:
    """The send was tried and refused before any socket opened, and the connection halts until reconnected."""
    delivery = Delivery.objects.get(connection=connection)
    connection.refresh_from_db()
    assert delivery.status != "succeeded" and delivery.attempt_set.exists()
    assert connection.halted and connection.status == "error" and "hostname" in connection.status_reason.lower()
    assert dns["connects"] == []
    factory.clients_clear()


@pytest.mark.django_db
def test_a_contribution_to_a_host_that_now_resolves_privately_halts_the_connection(cast, dns,
                                                                                   django_capture_on_commit_callbacks):
    """The real contributions pipeline: API call, ledger, outbox, the ActBlue kind's send; nothing leaves."""
    from actblue.kind import KIND
    from actblue.services.profile import actblue_identity_set
    from integrations.services.api_keys import api_credential_create
    from integrations.services.connections import connection_connect
    from tests.actblue.payloads import ENTITY_A_ID, contribution

    factory.clients_clear()
    actblue_identity_set(entity=cast.entity_a, entity_ids=[ENTITY_A_ID])
    connection = connection_connect(entity=cast.entity_a, kind=KIND, host="ak.example.org",
                                    config={"username": "staff", "account": "Default ActBlue"},
                                    secrets={"password": "pw"}, actor=None)
    dns["ak.example.org"] = ["169.254.169.254"]
    _, key = api_credential_create(entity=cast.entity_a, name="ci", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.client_for(cast.alice).post("/api/v1/actblue/contributions/", contribution(),
                                                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201, response.content
    assert_halted_on_the_hostname(connection, dns)


@pytest.mark.django_db
def test_a_member_push_to_a_host_that_now_resolves_privately_halts_the_connection(cast, dns,
                                                                                  django_capture_on_commit_callbacks):
    """The member sync halts on an unsafe host as contributions do: outbox, the strive kind's send, one mapper."""
    from integrations.services.connections import connection_connect
    from strive.kind import KIND
    from strive.services.members import MemberInput, member_upsert
    from strive.services.pushes import EVENT_CREATE, PushPlan, pushes_enqueue

    factory.clients_clear()
    connection = connection_connect(entity=cast.entity_a, kind=KIND, host="ak.example.org",
                                    config={"username": "staff", "sync_accounts": True}, secrets={"password": "pw"},
                                    actor=None)
    member, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="202-555-0101", email="ann@example.org",
                                                                     source="api"))
    dns["ak.example.org"] = ["169.254.169.254"]
    with django_capture_on_commit_callbacks(execute=True):
        pushes_enqueue(connection=connection, plans=[PushPlan(member=member, ak_user_id=None, email=member.email)],
                       event_type=EVENT_CREATE)
    assert_halted_on_the_hostname(connection, dns)
