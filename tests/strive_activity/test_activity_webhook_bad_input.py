"""Bad page-webhook bodies and URLs never get a 5xx. Each case here got a 503 "send it again" with a traceback from
the front (strive.activity.wsgi) and a 500 from the Django view, so ActionKit would have retried it forever.

A wrong URL gets the wrong URL's 404 whatever the body holds; the right URL gets a 400 naming the problem.
"""

import json
from urllib.parse import urlencode

import pytest
from django.db import connection as db_connection

from strive.activity.models import Action, WebhookEvent
from strive.activity.services.webhooks import webhook_events_drain, webhook_path
from strive.activity.views.hooks import UNKNOWN_URL
from tests.strive_activity.helpers import wsgi_call

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
DEEP = b'{"id": 1, "page": 10, "user": 7, "fields": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
UNREADABLE = "Missing or unreadable"

# (JSON body, the same as a form post or None, what the 400 says)
BAD_BODIES = {
    "page-superscript-two": ({"id": 1, "page": "²", "user": 7}, {"action_id": "1", "page_id": "²", "user_id": "7"},
                             UNREADABLE),
    "page-in-uri-superscript": ({"id": 1, "page": "/rest/v1/petitionpage/²/", "user": 7}, None, UNREADABLE),
    "id-10**30": ({"id": 10**30, "page": 10, "user": 7}, {"action_id": str(10**30), "page_id": "10", "user_id": "7"},
                  UNREADABLE),
    "page-2**63": ({"id": 1, "page": 2**63, "user": 7}, {"action_id": "1", "page_id": str(2**63), "user_id": "7"},
                   UNREADABLE),
    "user-2**63-in-uri": ({"id": 1, "page": 10, "user": f"/rest/v1/user/{2**63}/"}, None, UNREADABLE),
    "user-5000-digits": ({"id": 1, "page": 10, "user": "9" * 5000}, {"action_id": "1", "page_id": "10",
                                                                    "user_id": "9" * 5000}, UNREADABLE),
    "negative-id": ({"id": -3, "page": 10, "user": 7}, {"action_id": "-3", "page_id": "10", "user_id": "7"},
                    UNREADABLE),
    "deeply-nested": (DEEP, None, "nested too deeply"),
}


def _encoded(body) -> tuple[bytes, str]:
    return (body, "application/json") if isinstance(body, bytes) else (json.dumps(body).encode(), "application/json")


def _cases():
    for name, (body, form, reason) in BAD_BODIES.items():
        yield pytest.param(*_encoded(body), reason, id=f"{name}-json")
        if form is not None:
            yield pytest.param(urlencode(form).encode(), FORM, reason, id=f"{name}-form")


def _wrong(url: str) -> str:
    return url.rsplit("/", 2)[0] + "/" + "x" * 43 + "/"


def _front(url, raw, content_type) -> tuple[int, dict]:
    return wsgi_call(url, raw, content_type=content_type)[:2]


def _django(client, url, raw, content_type) -> tuple[int, dict]:
    response = client.post(url, data=raw, content_type=content_type)
    return response.status_code, response.json()


@pytest.mark.parametrize("raw, content_type, reason", list(_cases()))
@pytest.mark.parametrize("path", ["front", "django"])
def test_a_bad_body_is_a_400_for_the_url_holder_and_the_404_for_anyone_else(client, activity_connection, path, raw,
                                                                           content_type, reason):
    send = _front if path == "front" else (lambda *args: _django(client, *args))
    url = webhook_path(connection=activity_connection)
    assert send(_wrong(url), raw, content_type) == (404, {"error": UNKNOWN_URL})
    status, answer = send(url, raw, content_type)
    assert status == 400 and reason in answer["error"], answer
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("connection_id", [10**30, 2**63, "9" * 5000])
@pytest.mark.parametrize("path", ["front", "django"])
def test_a_connection_id_that_cannot_exist_is_the_unknown_url(client, activity_connection, path, connection_id):
    url = f"/hooks/actionkit/pages/{connection_id}/{'x' * 43}/"
    raw = json.dumps({"id": 1, "page": 10, "user": 7}).encode()
    if path == "front":
        assert _front(url, raw, "application/json") == (404, {"error": UNKNOWN_URL})
    else:
        response = client.post(url, data=raw, content_type="application/json")
        assert response.status_code == 404  # Django's own 404 for the 5000 digits: its int converter refuses them.


@pytest.mark.parametrize("token", ["a%00b", "%C3%A9t%C3%A9", "x" * 65])
@pytest.mark.parametrize("path", ["front", "django"])
def test_a_token_we_never_hand_out_is_the_unknown_url_without_asking_the_database(client, activity_connection, path, token,
                                                                                 django_assert_num_queries):
    # A NUL in the token made PostgreSQL refuse the INSERT's parameters: a 503.
    url = f"/hooks/actionkit/pages/{activity_connection.pk}/{token}/"
    raw = json.dumps({"id": 1, "page": 10, "user": 7}).encode()
    with django_assert_num_queries(0):
        answer = _front(url, raw, "application/json") if path == "front" else _django(client, url, raw,
                                                                                      "application/json")
    assert answer == (404, {"error": UNKNOWN_URL})


def test_a_bad_content_length_is_a_400_from_django_as_from_the_front(client, activity_connection):
    url = webhook_path(connection=activity_connection)
    response = client.post(url, data=b"{}", content_type="application/json", CONTENT_LENGTH="abc")
    assert (response.status_code, response.json()) == (400, {"error": "Invalid Content-Length."})
    assert wsgi_call(url, b"{}", CONTENT_LENGTH="abc")[:2] == (400, {"error": "Invalid Content-Length."})


def test_bad_bodies_stored_earlier_are_marked_refused_and_never_hold_up_the_rest(activity_connection, synced_page, fake_ak):
    """Bodies the receiver took before it checked ids and nesting. They used to fail the whole batch on every run
    (drain task and poll alike), so nothing behind them was ever taken in."""
    fake_ak.add_user(7)
    stored = {1: {"id": 1, "page": 10, "user": 2**63}, 2: {"id": 2, "page": 10, "user": -4},
              3: {"id": 3, "page": 10, "user": 7, "fields": {"a": json.loads("[" * 200 + "]" * 200)}},
              4: {"id": 4, "page": 10, "user": 7, "fields": {"comment": "yes"}}}
    for ak_id, payload in stored.items():
        WebhookEvent.objects.create(connection=activity_connection, ak_action_id=ak_id, payload=payload)
    assert webhook_events_drain(connection=activity_connection, client=fake_ak) == (1, False)
    assert list(Action.objects.values_list("ak_id", flat=True)) == [4]
    outcomes = dict(WebhookEvent.objects.values_list("ak_action_id", "outcome"))
    assert outcomes == {1: "Refused: Missing or unreadable: user (ids, /rest/v1/ URIs or a page short name).",
                        2: "Refused: Missing or unreadable: user (ids, /rest/v1/ URIs or a page short name).",
                        3: "Refused: The body is nested too deeply.", 4: "Taken in."}
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
    assert webhook_events_drain(connection=activity_connection, client=fake_ak) == (0, False)


def test_a_stored_body_that_is_not_json_at_all_is_refused(activity_connection, synced_page, fake_ak):
    event = WebhookEvent.objects.create(connection=activity_connection, ak_action_id=1, payload={})
    with db_connection.cursor() as cursor:  # Only a hand edit could do this; the drain still must not stick on it.
        cursor.execute(f"UPDATE {WebhookEvent._meta.db_table} SET payload = %s WHERE id = %s", ['"just text"', event.pk])
    assert webhook_events_drain(connection=activity_connection, client=fake_ak) == (0, False)
    assert WebhookEvent.objects.get().outcome == "Refused: The body must be a JSON object or a form post."

