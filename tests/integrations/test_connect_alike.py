"""The two ActionKit connect forms behave alike: one normalised host, the same sentences, and who connected last."""

import re

import pytest
from django.urls import reverse

from integrations.models import Connection
from tests.actblue.conftest import connect

pytestmark = pytest.mark.django_db


def _errors(html: str) -> list[str]:
    found = re.findall(r'<(?:div class="message error"|ul class="errorlist")[^>]*>(.*?)</(?:div|ul)>', html, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip() for text in found]


def test_a_pasted_admin_url_is_stored_as_its_hostname(cast, ak_sandbox, settings):
    ak_sandbox.reset()
    settings.ACTIONKIT_INSECURE_HOSTS = [*settings.ACTIONKIT_INSECURE_HOSTS, ak_sandbox.host]
    response = cast.client_for(cast.alice).post(reverse("strive:connect", args=[cast.entity_a.slug]), {
        "host": f"http://{ak_sandbox.host.upper()}/admin/", "username": ak_sandbox.username,
        "password": ak_sandbox.password})
    assert response.status_code == 302
    assert Connection.objects.get(kind="strive_actionkit").host == ak_sandbox.host


def test_both_connect_forms_word_a_bad_hostname_the_same(cast):
    client = cast.client_for(cast.alice)
    members = client.post(reverse("strive:connect", args=[cast.entity_a.slug]),
                          {"host": "10.0.0.1", "username": "u", "password": "p"}).content.decode()
    contributions = client.post(reverse("actblue:connect", args=[cast.entity_a.slug]),
                                {"host": "10.0.0.1", "username": "u", "password": "p", "account": ""}).content.decode()
    sentence = "Enter a hostname, not an IP address. Enter your instance's public hostname, e.g. yourorg.actionkit.com."
    assert [e for e in _errors(members) if sentence in e.replace("&#x27;", "'")]
    assert [e for e in _errors(contributions) if sentence in e.replace("&#x27;", "'")]
    assert not Connection.objects.exists()


def test_the_setup_line_names_who_reconnected_last(cast):
    first = connect(cast.entity_a)
    Connection.objects.filter(pk=first.pk).update(created_by=cast.alice, status=Connection.Status.DISCONNECTED)
    from integrations.services.connections import connection_connect

    connection_connect(entity=cast.entity_a, kind=first.kind, host=first.host, config={}, secrets={"password": "x"},
                       actor=cast.carol)
    page = cast.client_for(cast.alice).get(reverse("actblue:detail", args=[cast.entity_a.slug])).content.decode()
    setup = page.split("<dt>Integration setup</dt>", 1)[1].split("</dd>", 1)[0]
    assert "Reconnected" in setup and "by carol" in setup and "first added" in setup and "by alice" in setup
