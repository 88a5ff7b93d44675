"""ActBlue-format bodies for tests, built from the reference's sample (tests/fixtures/actblue/*.json)."""

import copy
import json
from pathlib import Path

from actblue.serializers import NotificationSerializer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "actblue"
ENTITY_A_ID, ENTITY_B_ID = 5001, 5002


def parsed(body: dict) -> dict:
    """The body as the API's serializer validates it, ready for the ledger's recorders."""
    serializer = NotificationSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def contribution(*, lineitem_id: int = 123456789, order: str = "AB123456789", form: str = "spring-appeal",
                 recipients: tuple[int, ...] = (ENTITY_A_ID,), email: str = "mary@example.com", sequence: int = 0,
                 recurring: bool = False) -> dict:
    body = copy.deepcopy(fixture("contribution"))
    body["donor"]["email"] = email
    body["contribution"].update(orderNumber=order, contributionForm=form, isRecurring=recurring,
                                recurringPeriod="monthly" if recurring else "once")
    body["form"]["name"] = form
    template = body["lineitems"][0]
    body["lineitems"] = [{**template, "lineitemId": lineitem_id + i, "entityId": entity_id, "sequence": sequence,
                          "committeeName": f"Committee {entity_id}"} for i, entity_id in enumerate(recipients)]
    return body


def refund(**kw) -> dict:
    body = contribution(**kw)
    for item in body["lineitems"]:
        item.update(refundedAt="2023-06-12T10:03:11-04:00", disbursedAt=None, recoveredAt=None)
    return body


def cancellation(*, cancelled_at: str = "2023-06-20T11:02:47-04:00", **kw) -> dict:
    kw.setdefault("recurring", True)
    body = contribution(**kw)
    body["contribution"].update(cancelledAt=cancelled_at, recurCompleted=6, recurPledged=12)
    return body
