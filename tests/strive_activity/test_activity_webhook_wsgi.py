"""The page webhook as production serves it: through config.wsgi.application, where the hot path skips Django's
middleware. The answers must be the view's, and what it cannot serve must still reach Django."""

import json
from urllib.parse import urlencode

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection as db_connection
from django.db import connections

from strive.activity.models import Action, WebhookEvent
from strive.activity.services.webhooks import webhook_path
from strive.activity.wsgi import with_page_hooks
from tests.strive_activity.helpers import wsgi_call


def _action(action_id=501, page=10, user=7) -> bytes:
    return json.dumps({"id": action_id, "page": f"/rest/v1/petitionpage/{page}/", "user": f"/rest/v1/user/{user}/",
                       "fields": {"comment": "yes"}}).encode()


@pytest.mark.django_db
def test_a_json_post_is_stored_once_and_processed(activity_connection, synced_page, fake_ak,
                                                  django_capture_on_commit_callbacks):
    fake_ak.add_user(7)
    url = webhook_path(connection=activity_connection)
    with django_capture_on_commit_callbacks(execute=True):
        first = wsgi_call(url, _action())
    second = wsgi_call(url, _action())
    assert first[:2] == (202, {"status": "accepted", "action_id": 501})
    assert first[2]["Cache-Control"] == "no-store"
    assert second[:2] == (200, {"status": "duplicate", "action_id": 501})
    assert WebhookEvent.objects.count() == 1
    assert Action.objects.get(ak_id=501).member is not None


@pytest.mark.django_db
def test_a_form_post_is_served_as_the_view_serves_it(activity_connection, synced_page, fake_ak,
                                                     django_capture_on_commit_callbacks):
    fake_ak.add_user(8)
    form = urlencode({"action_id": "77", "page_id": "10", "user_id": "8", "action_color": "blue"}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        status, _, _ = wsgi_call(webhook_path(connection=activity_connection), form,
                             content_type="application/x-www-form-urlencoded; charset=utf-8")
    assert status == 202
    assert Action.objects.get(ak_id=77).fields == {"color": "blue"}


@pytest.mark.django_db
@pytest.mark.parametrize("path_token, body, status, reason", [
    ("wrong", _action(), 404, "Unknown webhook URL"),
    ("wrong", b"{not json", 404, "Unknown webhook URL"),  # A stranger learns nothing about the body.
    ("good", b"{not json", 400, "not valid JSON"),
    ("good", json.dumps({"id": 5}).encode(), 400, "page, user"),
    ("good", b"x" * (256 * 1024 + 1), 413, "too large"),
], ids=["wrong-token", "wrong-token-bad-body", "bad-json", "no-page", "too-large"])
def test_refusals_match_the_view(activity_connection, path_token, body, status, reason):
    url = webhook_path(connection=activity_connection)
    if path_token == "wrong":
        url = url.rsplit("/", 2)[0] + "/" + "x" * 43 + "/"
    got_status, answer, _ = wsgi_call(url, body)
    assert (got_status, reason in answer["error"]) == (status, True)
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_what_the_front_does_not_serve_reaches_django(activity_connection):
    url = webhook_path(connection=activity_connection)
    assert wsgi_call(url, method="GET")[0] == 405
    assert wsgi_call(url, b"hello", content_type="text/plain")[:2] == (415, {"error": "Send application/json or a form post."})
    assert wsgi_call("/hooks/actionkit/pages/abc/def/", _action())[0] == 404


@pytest.mark.django_db
def test_only_django_adds_its_middleware_headers(activity_connection):
    url = webhook_path(connection=activity_connection)
    assert "X-Request-ID" not in wsgi_call(url, _action())[2]  # Served in front.
    assert "X-Request-ID" in wsgi_call(url, method="GET")[2]  # Served by Django.


@pytest.mark.django_db
def test_plain_http_goes_to_django_when_production_redirects_to_https(activity_connection, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    app = with_page_hooks(get_wsgi_application())  # Middleware reads its settings when the handler is built.
    url = webhook_path(connection=activity_connection)
    assert wsgi_call(url, _action(), app=app)[0] == 301
    assert wsgi_call(url, _action(), app=app, HTTP_X_FORWARDED_PROTO="https")[0] == 202


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_died_between_requests_is_replaced(activity_connection):
    if db_connection.vendor != "postgresql":
        pytest.skip("SQLite connections do not die between requests")
    url = webhook_path(connection=activity_connection)
    assert wsgi_call(url, _action(1))[0] == 202
    pid = db_connection.connection.get_backend_pid()
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])  # As a database restart or idle timeout would.
    finally:
        killer.close()
    assert wsgi_call(url, _action(2))[0] == 202
    assert sorted(WebhookEvent.objects.values_list("ak_action_id", flat=True)) == [1, 2]
