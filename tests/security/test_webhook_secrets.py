"""Webhook URLs carry a secret: it is compared in constant time, and a wrong, old or foreign token is refused the
same way as an unknown connection (no oracle)."""

import hmac

import pytest

from integrations.models import Connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(cast):
    from strive.activity.services.webhooks import webhook_path

    connection = Connection.objects.create(entity=cast.entity_a, kind="strive_actionkit", host="ak.example.org")
    other = Connection.objects.create(entity=cast.entity_b, kind="strive_actionkit", host="ak.example.org")
    return connection, webhook_path(connection=connection), webhook_path(connection=other)


def _post(client, path):
    return client.post(path, data="{}", content_type="application/json")


def test_the_token_is_compared_with_compare_digest(client, hook, monkeypatch):
    connection, path, _ = hook
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    token = path.rstrip("/").rsplit("/", 1)[1]
    _post(client, path.replace(token, "x" * len(token)))
    _post(client, f"/hooks/actionkit/pages/{connection.pk + 999}/{token}/")  # Unknown id still costs a comparison.
    assert len(calls) == 2


def test_wrong_foreign_and_old_tokens_are_refused_alike(client, hook, cast):
    from strive.activity.services.webhooks import webhook_secret_regenerate

    connection, path, other_path = hook
    token = path.rstrip("/").rsplit("/", 1)[1]
    other_token = other_path.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40  # 256 bits, URL-safe.
    refusals = [
        _post(client, path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))),
        _post(client, path.replace(token, other_token)),  # B's token on A's connection id.
        _post(client, f"/hooks/actionkit/pages/{connection.pk + 999}/{token}/"),
    ]
    webhook_secret_regenerate(connection=connection, actor=cast.alice)
    refusals.append(_post(client, path))  # The old URL stops working after regeneration.
    assert {r.status_code for r in refusals} == {404}
    assert len({r.content for r in refusals}) == 1  # Identical answers: nothing to learn from which one failed.
