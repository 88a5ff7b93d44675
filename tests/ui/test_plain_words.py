"""What people read: sentences, not JSON, dotted action names or Python values."""

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from actblue.kind import KIND as ACTBLUE
from integrations import audit_words
from integrations.models import AuditEvent, Connection, Delivery, DeliveryAttempt
from integrations.presenters import plain_reason, response_sentence
from tests.actblue.conftest import connect

ROOT = Path(__file__).resolve().parents[2]

REASONS = [
    ('{"error":"Sorry, this request could not be processed."}', "Sorry, this request could not be processed."),
    ('ActionKit rejected the data. {"errors": {"email": ["Enter a valid email address."]}}',
     "ActionKit rejected the data. email: Enter a valid email address."),
    ("ActionKit is temporarily unavailable. <html><body>502</body></html>", "ActionKit is temporarily unavailable."),
    ("ActionKit did not answer in time.", "ActionKit did not answer in time."),
    ("", ""),
]


@pytest.mark.parametrize("given, expected", REASONS, ids=["json-error", "field-errors", "html", "plain", "empty"])
def test_it_words_a_reason_as_a_sentence(given, expected):
    assert plain_reason(given) == expected


def _delivery(status, detail="", **kw):
    attempt = SimpleNamespace(detail=detail)
    return SimpleNamespace(status=status, latest_attempt=attempt, last_error="", remote_ref="", next_attempt_at=None,
                           **kw)


def test_it_says_what_actionkit_did_with_a_delivery():
    ok = _delivery("succeeded", '{"kind": "contribution", "duplicate": false, "user": "/rest/v1/user/7/", '
                   '"orders": ["/rest/v1/order/42/"]}')
    assert response_sentence(ok) == "ActionKit recorded it (order 42)."
    refused = _delivery("dead", 'ActionKit rejected the data. email: Enter a valid email address.')
    assert response_sentence(refused) == "ActionKit refused it: email: Enter a valid email address."
    waiting = _delivery("failed", "ActionKit did not answer in time.")
    waiting.next_attempt_at = datetime(2025, 1, 1, 14, 2, tzinfo=UTC)
    assert response_sentence(waiting) == "ActionKit did not answer in time. Trying again at 14:02 UTC."


def test_a_row_sent_again_labels_what_actionkit_said_as_the_previous_try():
    resent = _delivery("pending", '{"kind": "contribution", "orders": ["/rest/v1/order/42/"]}')
    resent.latest_attempt.outcome = "success"
    assert response_sentence(resent) == "Waiting to be sent again. Previous try: ActionKit recorded it (order 42)."
    resent.status = "sending"
    assert response_sentence(resent).startswith("Sending again now. Previous try: ActionKit recorded it")
    fresh = SimpleNamespace(status="pending", latest_attempt=None, last_error="", remote_ref="", next_attempt_at=None)
    assert response_sentence(fresh) == "Waiting to be sent."


@pytest.mark.django_db
def test_a_resent_row_shows_no_old_http_code_beside_pending(cast):
    connection = connect(cast.entity_a)
    row = Delivery.objects.create(connection=connection, key="actblue:contribution:9", event_type="contribution",
                                  status=Delivery.Status.PENDING, attempts=1, last_status_code=201)
    DeliveryAttempt.objects.create(delivery=row, outcome="success", status_code=201,
                                   detail='{"kind": "contribution", "orders": ["/rest/v1/order/9/"]}')
    page = cast.client_for(cast.alice).get(reverse("actblue:detail", kwargs={"entity_slug": cast.entity_a.slug}))
    cell = re.search(r'data-label="Outcome">(.*?)</td>', page.content.decode(), re.S).group(1)
    assert "Pending" in cell and "HTTP 201" not in cell
    assert "Previous try: ActionKit recorded it (order 9)." in page.content.decode()
    assert "Show ActionKit's previous response" in page.content.decode()


TARGETS = [("strive_actionkit", "ActionKit member sync"), ("page spring_rally", "Page “spring_rally”"),
           ("usergroup Volunteers", "User group “Volunteers”"), ("backfill 3", "Backfill #3"),
           ("strive:member:12:0f3a", "Member 12"), ("actblue:contribution:500", "Contribution 500"),
           ("+12025550101", "+12025550101"), ("", "")]


@pytest.mark.parametrize("given, expected", TARGETS, ids=[g or "empty" for g, _ in TARGETS])
def test_it_words_what_an_event_acted_on(given, expected):
    assert audit_words.target_label(given) == expected


def test_every_audit_action_in_the_code_has_a_label():
    pattern = re.compile(r'action="([a-z_.]+)"')
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        if "tests" in path.parts or ".venv" in path.parts:
            continue
        text = path.read_text()
        if "audit_record(" in text:
            found |= {m for m in pattern.findall(text) if "." in m}
    assert found, "the grep found no audit actions"
    assert sorted(found - set(audit_words.ACTION_LABELS)) == []


@pytest.mark.django_db
def test_the_details_page_shows_sentences_and_keeps_the_raw_response_behind_a_disclosure(cast):
    connection = connect(cast.entity_a)
    ok = Delivery.objects.create(connection=connection, key="actblue:contribution:1", event_type="contribution",
                                 status=Delivery.Status.SUCCEEDED, attempts=1)
    DeliveryAttempt.objects.create(delivery=ok, outcome="success", status_code=201,
                                   detail='{"kind": "contribution", "duplicate": false, "orders": ["/rest/v1/order/42/"]}')
    dead = Delivery.objects.create(connection=connection, key="actblue:contribution:2", event_type="contribution",
                                   status=Delivery.Status.DEAD, attempts=1)
    DeliveryAttempt.objects.create(delivery=dead, outcome="permanent", status_code=400,
                                   detail="ActionKit rejected the data. email: Enter a valid email address.")
    page = cast.client_for(cast.alice).get(reverse("actblue:detail", args=[cast.entity_a.slug])).content.decode()
    assert "ActionKit recorded it (order 42)." in page
    assert "ActionKit refused it: email: Enter a valid email address." in page
    assert page.count("<summary>Show ActionKit's response</summary>") == 2
    outside = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    assert '"orders"' not in outside and "&quot;orders&quot;" not in outside


@pytest.mark.django_db
def test_a_json_status_reason_reads_as_its_message(cast):
    connection = connect(cast.entity_a)
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.ERROR, status_reason='{"error":"Sorry, this request could not be processed."}')
    page = cast.client_for(cast.alice).get(reverse("actblue:detail", args=[cast.entity_a.slug])).content.decode()
    assert "Sorry, this request could not be processed." in page
    assert "&quot;error&quot;" not in page and '{"error"' not in page


@pytest.mark.django_db
def test_the_activity_page_uses_words_not_codes(cast):
    AuditEvent.objects.create(entity=cast.entity_a, actor=cast.alice, action="member.created", target="+12025550101")
    AuditEvent.objects.create(entity=cast.entity_a, actor=cast.alice, action="connection.settings_changed",
                              target=ACTBLUE, changes={"notify_managed": [False, True]})
    page = cast.client_for(cast.alice).get(reverse("integrations:activity", args=[cast.entity_a.slug])).content.decode()
    assert "Added a member" in page and "member.created" not in page
    assert "Notify for All Managed Pages</strong>: Don&#x27;t send → Send" in page
    assert "notify_managed" not in page and "False" not in page
    assert f"<td>{ACTBLUE}</td>" not in page and ACTBLUE not in page
