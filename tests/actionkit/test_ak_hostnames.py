"""Hostname safety: syntax, DNS answers, the insecure allowlist and the connect-time (rebinding) check."""

from __future__ import annotations

import socket

import pytest
import responses

from actionkit import errors
from actionkit.client import ActionKitClient
from actionkit.hostnames import base_url, check_hostname, ip_is_public, normalize_hostname

ALLOW = ["127.0.0.1:8001"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("act.example.org", "act.example.org"),
        ("  HTTPS://Act.Example.org/rest/v1/  ", "act.example.org"),
        ("act.example.org.", "act.example.org"),
        ("http://act.example.org:8443/", "act.example.org:8443"),
        ("roboticdogs.actionkit.com", "roboticdogs.actionkit.com"),
        ("127.0.0.1:8001", "127.0.0.1:8001"),  # on the insecure allowlist
        ("http://127.0.0.1:8001/", "127.0.0.1:8001"),
    ],
)
def test_it_normalizes_hostnames(raw, expected):
    assert normalize_hostname(raw, insecure=ALLOW) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "127.0.0.1",
        "127.0.0.1:8002",
        "2130706433",
        "127.1",
        "0x7f.1",
        "0177.0.0.1",
        "[::1]",
        "::1",
        "169.254.169.254",
        "10.0.0.1",
        "localhost",
        "LOCALHOST:8001",
        "foo.localhost",
        "user:pw@act.example.org",
        "https://user@act.example.org/",
        "ftp://act.example.org",
        "intranet",
        "bad_host.example.org",
        "act.example.123",
        "act.example.org:99999",
        "-bad.example.org",
    ],
)
def test_it_rejects_unsafe_hostnames(raw):
    with pytest.raises(errors.UnsafeHostError):
        normalize_hostname(raw, insecure=ALLOW)


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("0.0.0.0", False),  # noqa: S104
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::1", False),
        ("224.0.0.1", False),
    ],
)
def test_it_classifies_addresses(address, public):
    assert ip_is_public(address) is public


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror("no such host")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "answers, ok",
    [
        (["93.184.216.34"], True),
        (["10.0.0.5"], False),
        (["100.64.3.4"], False),
        (["169.254.169.254"], False),
        (["127.0.0.1"], False),
        (["93.184.216.34", "192.168.0.1"], False),  # one bad answer is enough to refuse
        (["64:ff9b::a9fe:a9fe"], False),
    ],
)
def test_it_checks_every_resolved_address(monkeypatch, answers, ok):
    fake_dns(monkeypatch, {"act.example.org": answers})
    if ok:
        assert check_hostname("act.example.org", insecure_hosts=[]) == "act.example.org"
    else:
        with pytest.raises(errors.UnsafeHostError):
            check_hostname("act.example.org", insecure_hosts=[])


def test_it_rejects_unresolvable_hosts(monkeypatch):
    fake_dns(monkeypatch, {})
    with pytest.raises(errors.UnsafeHostError, match="does not resolve"):
        check_hostname("nope.example.org", insecure_hosts=[])


def test_it_allows_insecure_hosts_on_loopback_only(monkeypatch):
    fake_dns(monkeypatch, {"127.0.0.1": ["127.0.0.1"], "sandbox.test": ["10.0.0.9"]})
    assert check_hostname("127.0.0.1:8001", insecure_hosts=ALLOW) == "127.0.0.1:8001"
    with pytest.raises(errors.UnsafeHostError):
        check_hostname("sandbox.test:8001", insecure_hosts=["sandbox.test:8001"])


def test_the_demo_may_reach_an_allowlisted_sandbox_on_a_private_network_only(monkeypatch, settings):
    settings.ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK = True  # What docker-compose.demo.yml sets.
    fake_dns(monkeypatch, {"sandbox": ["172.18.0.5"], "metadata": ["169.254.169.254"], "other": ["10.0.0.9"]})
    allow = ["sandbox:8001", "metadata:80"]
    assert check_hostname("sandbox:8001", insecure_hosts=allow) == "sandbox:8001"
    with pytest.raises(errors.UnsafeHostError):
        check_hostname("metadata:80", insecure_hosts=allow)  # Link-local stays refused.
    with pytest.raises(errors.UnsafeHostError):
        check_hostname("other", insecure_hosts=allow)  # Not allowlisted: public addresses only, as always.


def test_it_picks_the_scheme_in_one_place():
    assert base_url("act.example.org", insecure=ALLOW) == "https://act.example.org"
    assert base_url("127.0.0.1:8001", insecure=ALLOW) == "http://127.0.0.1:8001"


def test_it_reads_the_allowlist_from_settings(settings):
    settings.ACTIONKIT_INSECURE_HOSTS = ["127.0.0.1:8123"]
    client = ActionKitClient("127.0.0.1:8123", "u", "p")
    assert client.base_url == "http://127.0.0.1:8123"


def test_it_refuses_to_connect_when_dns_rebinds(monkeypatch):
    """Validation saw a public address; the connection-time answer is the metadata address."""
    answers = {"act.example.org": ["93.184.216.34"]}
    fake_dns(monkeypatch, answers)
    assert check_hostname("act.example.org", insecure_hosts=[]) == "act.example.org"
    answers["act.example.org"] = ["169.254.169.254"]
    client = ActionKitClient("act.example.org", "u", "p", timeout=(1, 1), insecure_hosts=[])
    with responses.RequestsMock() as rsps:  # Pass through to the real adapter so the connection code runs.
        rsps.add_passthru("https://act.example.org")
        with pytest.raises(errors.UnsafeHostError):
            client.verify_credentials()


def test_it_refuses_loopback_at_connect_for_hosts_not_allowlisted(monkeypatch):
    fake_dns(monkeypatch, {"evil.example.org": ["127.0.0.1"]})
    client = ActionKitClient("evil.example.org", "u", "p", timeout=(1, 1), insecure_hosts=[])
    with pytest.raises(errors.UnsafeHostError):
        client.verify_credentials()
