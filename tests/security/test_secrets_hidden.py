"""A known secret is planted in every place it is stored; no page, admin page, API response, error or log line
may show it (nor its ciphertext)."""

import json
import logging

import pytest
import responses
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection as db
from django.test import Client
from django.urls import NoReverseMatch, reverse

from integrations import registry
from integrations.models import Connection, Delivery
from integrations.services.api_keys import api_credential_create
from tests.plugins.tenants import isolation_registry

SECRET = "Pl4nted-S3cret-Value-9f8e7d"
pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(cast):
    """A connection of every registered kind for both entities, each holding the secret."""
    for entity in (cast.entity_a, cast.entity_b):
        for kind in registry.kinds():
            Connection.objects.create(entity=entity, kind=kind.slug, host="ak.example.org",
                                      config={"username": "staff", "account": "Default ActBlue"},
                                      secrets={"password": SECRET, "webhook_token": SECRET})
    with db.cursor() as cursor:
        cursor.execute("SELECT secrets FROM integrations_connection")
        ciphertexts = [row[0] for row in cursor.fetchall()]
    assert ciphertexts and all(SECRET not in token for token in ciphertexts)  # Encrypted at rest.
    return ciphertexts


@pytest.fixture
def log_text():
    from config.logging import CorrelationIdFilter, JsonFormatter

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationIdFilter())
    logging.getLogger().addHandler(handler)
    yield lambda: "\n".join(lines)
    logging.getLogger().removeHandler(handler)


def _assert_hidden(text: str, ciphertexts: list[str], where: str) -> None:
    assert SECRET not in text, f"the secret appears in {where}"
    for token in ciphertexts:
        assert token[:40] not in text, f"a secret's ciphertext appears in {where}"


def test_no_entity_page_shows_a_secret(cast, planted, log_text):
    alice = cast.client_for(cast.alice)
    for name, extra in sorted(isolation_registry().items()):
        try:
            url = reverse(name, kwargs={"entity_slug": cast.entity_a.slug, **extra(cast)})
        except NoReverseMatch:
            continue
        response = alice.get(url)
        _assert_hidden(response.content.decode(errors="replace"), planted, f"GET {url}")
    _assert_hidden(log_text(), planted, "the logs")


def test_no_admin_page_shows_a_secret(cast, planted):
    operator = get_user_model().objects.create_superuser(username="root", password="root-password-123")
    client = Client()
    client.force_login(operator)
    Delivery.objects.create(connection=Connection.objects.first(), key="k", event_type="contribution")
    api_credential_create(entity=cast.entity_a, name="ci", actor=None)
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls = [reverse(f"admin:{info[0]}_{info[1]}_changelist")]
        first = model.objects.first()
        if first is not None:
            urls.append(reverse(f"admin:{info[0]}_{info[1]}_change", args=[first.pk]))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            _assert_hidden(response.content.decode(), planted, f"admin {url}")
    # The connection's change form has no secrets field at all, so saving it cannot overwrite or echo them.
    connection = Connection.objects.first()
    form = client.get(reverse("admin:integrations_connection_change", args=[connection.pk])).content.decode()
    assert 'name="secrets"' not in form


def test_no_api_response_shows_a_secret(cast, planted, log_text):
    from django.urls import get_resolver

    _, key = api_credential_create(entity=cast.entity_a, name="ci", actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    paths = [f"/api/v1/{str(p.pattern)}" for r in get_resolver().url_patterns if str(r.pattern) == "api/v1/"
             for p in r.url_patterns]
    assert paths, "no API endpoints found"
    for path in paths:
        url = path.replace("<int:pk>", "1").replace("<int:group_id>", "1")
        for response in (client.get(url), client.post(url, data="{}", content_type="application/json")):
            _assert_hidden(response.content.decode(), planted, f"API {url}")
    _assert_hidden(client.get("/api/schema/").content.decode(), planted, "the API schema")
    _assert_hidden(log_text(), planted, "the logs")


def test_no_error_message_or_log_line_shows_a_secret(cast, planted, log_text, settings):
    """ActionKit answers with bodies that echo the credentials; what we store and log must not."""
    from actionkit import errors
    from actionkit.client import ActionKitClient

    echo = json.dumps({"error": f"bad login for staff:{SECRET}", "auth": f"Basic {SECRET}", "password": SECRET})
    client = ActionKitClient("ak.example.org", "staff", SECRET, insecure_hosts=[])
    with responses.RequestsMock() as rsps:
        for status in (401, 500, 400, 429):
            rsps.add(responses.GET, "https://ak.example.org/rest/v1/", body=echo, status=status,
                     content_type="application/json")
            with pytest.raises(errors.ActionKitError) as caught:
                client.verify_credentials()
            rendered = f"{caught.value} {caught.value.body_excerpt}"  # What pages, attempts and logs ever show.
            assert SECRET not in rendered, f"HTTP {status} error shows the password"
            rsps.reset()
    try:
        raise errors.ActionKitTransient(f"upstream said password={SECRET}")
    except errors.ActionKitTransient:
        logging.getLogger("actionkit").exception("send failed", extra={"secrets": {"password": SECRET}})
    _assert_hidden(log_text(), planted, "the logs")


def test_validation_field_errors_do_not_carry_the_password():
    from actionkit import errors
    from actionkit.client import ActionKitClient

    client = ActionKitClient("ak.example.org", "staff", SECRET, insecure_hosts=[])
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, "https://ak.example.org/rest/v1/", status=400, content_type="application/json",
                 body=json.dumps({"password": [f"{SECRET} is wrong"]}))
        with pytest.raises(errors.ActionKitValidationError) as caught:
            client.verify_credentials()
    assert SECRET not in json.dumps(caught.value.field_errors)
