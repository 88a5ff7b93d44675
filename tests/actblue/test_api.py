"""The webhook API: per-entity API key, idempotent, 400 with field errors and nothing saved, documented schema."""

import json

import pytest
from rest_framework.test import APIClient

from actblue.models import Cancellation, Contribution, LineItem, Refund
from integrations.models import Delivery
from integrations.services.api_keys import api_credential_create
from tests.actblue import payloads

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world, api):
    """The shared API client (tests/conftest.py), once `world` has set up entity A's identity and connection."""
    return api


def post(api, path, body):
    return api.post(f"/api/v1/actblue/{path}/", data=json.dumps(body), content_type="application/json")


def test_it_records_a_contribution_once(api):
    first, second = post(api, "contributions", payloads.contribution()), post(api, "contributions", payloads.contribution())
    assert (first.status_code, first.json()["created"]) == (201, 1)
    assert (second.status_code, second.json()["duplicate"]) == (200, True)
    assert LineItem.objects.count() == 1 and Delivery.objects.count() == 1


def test_it_records_refunds_and_cancellations(api):
    assert post(api, "refunds", payloads.refund()).status_code == 201
    assert post(api, "cancellations", payloads.cancellation(order="AB9", lineitem_id=9)).status_code == 201
    assert Refund.objects.count() == 1 and Cancellation.objects.count() == 1


def test_it_detects_the_kind_from_the_body(api):
    response = post(api, "notifications", payloads.cancellation(order="AB9", lineitem_id=9))
    assert (response.status_code, response.json()["kind"]) == (201, "cancellation")
    assert post(api, "notifications", payloads.refund()).json()["kind"] == "refund"


MALFORMED = [
    ("missing-lineitems", lambda b: b.pop("lineitems"), "lineitems"),
    ("empty-lineitems", lambda b: b.update(lineitems=[]), "lineitems"),
    ("bad-amount", lambda b: b["lineitems"][0].update(amount="lots"), "lineitems"),
    ("bad-paid-at", lambda b: b["lineitems"][0].update(paidAt="yesterday"), "lineitems"),
    ("huge-lineitem-id", lambda b: b["lineitems"][0].update(lineitemId=2**70), "lineitems"),
    ("missing-order-number", lambda b: b["contribution"].pop("orderNumber"), "contribution"),
    ("too-long-order-number", lambda b: b["contribution"].update(orderNumber="A" * 65), "contribution"),
    ("nul-in-name", lambda b: b["donor"].update(firstname="Ma\x00ry"), "donor"),
    ("bad-email", lambda b: b["donor"].update(email="not-an-email"), "donor"),
    ("bad-duration", lambda b: b["contribution"].update(recurringDuration="forever"), "contribution"),
    ("duplicate-lineitem", lambda b: b["lineitems"].append(dict(b["lineitems"][0])), "lineitems"),
]


@pytest.mark.parametrize("mutate, field", [(m, f) for _, m, f in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_it_rejects_malformed_bodies_and_saves_nothing(api, mutate, field):
    body = payloads.contribution()
    mutate(body)
    response = post(api, "contributions", body)
    assert response.status_code == 400
    assert field in response.json()["errors"] and response.json()["detail"]
    assert not Contribution.objects.exists() and not Delivery.objects.exists()


def test_it_rejects_a_refund_without_refunded_at(api):
    response = post(api, "refunds", payloads.contribution())
    assert response.status_code == 400 and "lineitems" in response.json()["errors"]
    assert not Contribution.objects.exists()


def test_it_rejects_non_object_bodies(api):
    for raw in ("[]", '"x"', "{not json"):
        assert api.post("/api/v1/actblue/contributions/", data=raw, content_type="application/json").status_code == 400


def test_it_needs_an_api_key():
    response = APIClient().post("/api/v1/actblue/contributions/", data=payloads.contribution(), format="json")
    assert response.status_code == 401


def test_another_tenants_order_number_is_a_new_record_in_the_senders_own_ledger(api, world):
    post(api, "contributions", payloads.contribution())
    _, key_b = api_credential_create(entity=world.cast.entity_b, name="relay", actor=None)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {key_b}")
    response = post(other, "contributions", payloads.contribution(recipients=(payloads.ENTITY_A_ID,)))
    assert response.status_code == 201 and "entity" not in response.json().get("detail", "")
    assert LineItem.objects.filter(entity=world.cast.entity_b).count() == 1
    assert LineItem.objects.filter(entity=world.cast.entity_a).count() == 1


def test_it_answers_409_when_a_replayed_line_item_changed_its_amount(api, world):
    assert post(api, "contributions", payloads.contribution()).status_code == 201
    changed = payloads.contribution()
    changed["lineitems"][0]["amount"] = "30.00"
    response = post(api, "contributions", changed)
    assert response.status_code == 409 and "already recorded as 25.00" in response.json()["detail"]


def test_it_refuses_non_ascii_digits_in_recurring_duration_with_a_400(api, world):
    body = payloads.contribution()
    body["contribution"]["recurringDuration"] = "²"
    response = post(api, "contributions", body)
    assert response.status_code == 400 and "recurringDuration" in response.json()["errors"]["contribution"]


def test_it_documents_the_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("contributions", "refunds", "cancellations", "notifications"):
        operation = schema["paths"][f"/api/v1/actblue/{path}/"]["post"]
        assert {"201", "400", "401"} <= set(operation["responses"])
