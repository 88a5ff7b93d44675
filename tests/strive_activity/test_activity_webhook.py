"""The page webhook: authenticated by its secret URL, idempotent by action id, clear refusals."""

import json
import logging

import pytest
from django.urls import reverse

from strive.activity.models import Action, OutboxMessage, WebhookEvent
from strive.activity.services.automations import automation_save
from strive.activity.services.webhooks import webhook_path, webhook_secret_regenerate
from strive.models import GroupMembership


def _post(client, url, body, content_type="application/json"):
    data = json.dumps(body) if content_type == "application/json" else body
    return client.post(url, data=data, content_type=content_type)


def _body(action_id=501, page=10, user=7, **fields):
    return {"id": action_id, "page": f"/rest/v1/petitionpage/{page}/", "user": f"/rest/v1/user/{user}/",
            "fields": fields, "created_at": "2099-01-01T00:00:00"}


@pytest.mark.django_db
def test_it_takes_an_action_once_however_often_it_is_posted(client, activity_connection, synced_page, fake_ak, cast,
                                                            django_capture_on_commit_callbacks):
    fake_ak.add_user(7)
    automation_save(page=synced_page, template="Hi {{first_name}}, thanks for {{page_title}}", enabled=True,
                    actor=cast.alice)
    url = webhook_path(connection=activity_connection)
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, url, _body(comment="yes"))
    with django_capture_on_commit_callbacks(execute=True):
        second = _post(client, url, _body(comment="yes"))
    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert WebhookEvent.objects.count() == 1 and Action.objects.count() == 1
    action = Action.objects.get()
    assert action.source == "webhook" and action.member is not None and action.processed_at is not None
    assert GroupMembership.objects.filter(group=synced_page.group, member=action.member).count() == 1
    assert list(OutboxMessage.objects.values_list("body", flat=True)) == ["Hi Ana, thanks for Save the Bay"]


@pytest.mark.django_db
def test_it_accepts_a_form_post_with_action_fields(client, activity_connection, synced_page, fake_ak,
                                                  django_capture_on_commit_callbacks):
    fake_ak.add_user(8)
    form = {"action_id": "77", "page_id": "10", "user_id": "8", "action_color": "blue"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(webhook_path(connection=activity_connection), data=form)
    assert response.status_code == 202
    assert Action.objects.get(ak_id=77).fields == {"color": "blue"}


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["application/json", "form"])
def test_it_accepts_a_page_short_name_resolved_within_the_connections_own_pages(
        client, activity_connection, synced_page, fake_ak, cast, django_capture_on_commit_callbacks, content_type):
    from integrations.models import Connection
    from strive.activity.models import Page

    connection = activity_connection
    theirs = Connection.objects.create(entity=cast.entity_b, kind=connection.kind, host="other.example.org")
    Page.objects.create(connection=theirs, ak_id=55, name="their-page")  # Another tenant's page: never chosen.
    fake_ak.add_user(9)
    body = {"action_id": "78", "page": "petition-a", "user_id": "9"}
    with django_capture_on_commit_callbacks(execute=True):
        response = (_post(client, webhook_path(connection=connection), body) if content_type != "form" else
                    client.post(webhook_path(connection=connection), data=body))
        unknown = _post(client, webhook_path(connection=connection), {**body, "action_id": "79", "page": "their-page"})
    assert response.status_code == 202 and unknown.status_code == 202
    action = Action.objects.get(ak_id=78)
    assert action.page_id == synced_page.pk
    assert WebhookEvent.objects.get(ak_action_id=79).outcome == "Ignored: no page of this ActionKit has that short name yet."
    assert not Action.objects.filter(ak_id=79).exists()


@pytest.mark.django_db
def test_it_refuses_a_wrong_or_replaced_token(client, activity_connection, synced_page, cast):
    good = webhook_path(connection=activity_connection)
    wrong = reverse("strive_activity_hooks:page-action", kwargs={"connection_id": activity_connection.pk, "token": "x" * 43})
    assert _post(client, wrong, _body()).status_code == 404
    other = reverse("strive_activity_hooks:page-action", kwargs={"connection_id": 999999, "token": "x" * 43})
    assert _post(client, other, _body()).status_code == 404
    webhook_secret_regenerate(connection=activity_connection, actor=cast.alice)
    assert _post(client, good, _body()).status_code == 404
    assert _post(client, webhook_path(connection=activity_connection), _body()).status_code == 202
    assert WebhookEvent.objects.count() == 1
    assert cast.entity_a.audit_events.filter(action="strive.webhook_url.regenerated").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body, content_type, status, reason", [
    ("{not json", "application/json", 400, "not valid JSON"),
    ({"page": 10, "user": 7}, "application/json", 400, "Missing or unreadable: id"),
    ({"id": 5}, "application/json", 400, "page, user"),
    ([1, 2], "application/json", 400, "JSON object"),
    ("hello", "text/plain", 415, "application/json"),
], ids=["bad-json", "no-id", "no-page-user", "not-object", "wrong-type"])
def test_it_refuses_a_malformed_body_with_a_reason(client, activity_connection, body, content_type, status, reason, caplog):
    url = webhook_path(connection=activity_connection)
    with caplog.at_level(logging.WARNING):
        data = body if isinstance(body, str) else json.dumps(body)
        response = client.post(url, data=data, content_type=content_type)
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert not WebhookEvent.objects.exists()
    assert any(r.getMessage() == "strive.webhook.refused" for r in caplog.records)


@pytest.mark.django_db
def test_it_never_logs_the_body(client, activity_connection, caplog):
    with caplog.at_level(logging.DEBUG):
        _post(client, webhook_path(connection=activity_connection), {"page": 10, "email": "secret-person@example.org"})
    assert "secret-person" not in caplog.text
    assert all("secret-person" not in str(r.__dict__) for r in caplog.records)


@pytest.mark.django_db
def test_it_only_accepts_post(client, activity_connection):
    assert client.get(webhook_path(connection=activity_connection)).status_code == 405


@pytest.mark.django_db
def test_it_ignores_actions_on_pages_that_are_not_synced(client, activity_connection, synced_page, fake_ak,
                                                         django_capture_on_commit_callbacks):
    fake_ak.add_user(7)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, webhook_path(connection=activity_connection), _body(page=99)).status_code == 202
    assert not Action.objects.exists()
    assert WebhookEvent.objects.get().outcome == "Ignored: the page is not synced."


@pytest.mark.django_db
def test_a_burst_queues_one_drain_per_second_per_process(client, activity_connection, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    from config.celery import app
    from strive.activity import tasks
    from strive.activity.services import webhooks

    queued, clock = [], [1000.0]
    app.conf.task_always_eager = False  # The autouse fixture turns it back on.
    monkeypatch.setattr(tasks.webhook_events_process, "apply_async", lambda args, countdown: queued.append(countdown))
    monkeypatch.setattr(webhooks.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(webhooks, "_scheduled_here", {})
    url = webhook_path(connection=activity_connection)
    for action_id in (1, 2, 3, 4):
        if action_id == 4:
            clock[0] += webhooks.DRAIN_DEBOUNCE_SECONDS
        with django_capture_on_commit_callbacks(execute=True):
            assert _post(client, url, _body(action_id=action_id)).status_code == 202
    # Each drain runs a second after its window closes, so it reads every body stored inside the window.
    assert queued == [webhooks.DRAIN_DEBOUNCE_SECONDS + 1] * 2
    assert WebhookEvent.objects.count() == 4
