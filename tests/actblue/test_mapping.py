"""Table-driven mapping tests: ledger-shaped namespaces in, ActBlue-format notifications out. No database."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace as NS
from zoneinfo import ZoneInfo

import pytest

from actblue import mapping

EASTERN = ZoneInfo("America/New_York")
FORM = NS(name="spring-appeal", kind="page", owner_email="", managing_entity_name="Example PAC",
          managing_entity_committee_name="Example PAC Committee")
CONTRIBUTION = NS(
    donor_first_name="Mary", donor_last_name="Smith", donor_addr1="12 Main St", donor_city="Richmond", donor_state="CA",
    donor_zip="94801", donor_country="United States", donor_email="mary@example.com", donor_phone="5105550123",
    donor_express_eligible=True, donor_employer="Retired", donor_occupation="Retired",
    created_at_ab=datetime(2023, 6, 7, 15, 49, 32, tzinfo=EASTERN), order_number="AB123456789", refcodes={"refcode": "em0607"},
    refcode="em0607", refcode2="", recurring_period="once", recurring_duration="1", is_recurring=False, is_paypal=False,
    is_mobile=True, is_express=True, with_express_lane=True, express_signup=False, unique_identifier="AqxHMqZAvjA",
    status="approved", text_message_option="", custom_fields=[{"label": "Q", "answer": "A"}])
OWN_ITEM = NS(sequence=0, recipient_actblue_id=5001, fec_id="C00123456", committee_name="Example PAC",
              amount=Decimal("25"), paid_at=datetime(2023, 6, 7, 15, 49, 33, tzinfo=EASTERN), payment_id=242184335,
              lineitem_id=123456789)
PARTNER_ITEM = NS(**{**vars(OWN_ITEM), "recipient_actblue_id": 5002, "committee_name": "Partner", "fec_id": "",
                     "amount": Decimal("15.5"), "lineitem_id": 123456790})
RECURRING = NS(**{**vars(CONTRIBUTION), "recurring_period": "monthly", "recurring_duration": "infinite", "is_recurring": True})
REFUND = NS(refunded_at=datetime(2023, 6, 12, 10, 3, 11, tzinfo=EASTERN), disbursed_at=None, recovered_at=None)
CANCEL = NS(cancelled_at=datetime(2023, 6, 20, 11, 2, 47, tzinfo=EASTERN), recur_completed=6, recur_pledged=12)

CASES = [
    ("contribution", lambda: mapping.lineitem_to_notification(CONTRIBUTION, OWN_ITEM, FORM),
     {"contribution.createdAt": "2023-06-07T15:49:32-04:00", "contribution.orderNumber": "AB123456789",
      "contribution.contributionForm": "spring-appeal", "contribution.recurringDuration": 1,
      "contribution.isExpress": True, "contribution.customFields": [{"label": "Q", "answer": "A"}],
      "lineitems.0.amount": "25.0", "lineitems.0.paidAt": "2023-06-07T15:49:33-04:00", "lineitems.0.entityId": 5001,
      "lineitems.0.lineitemId": 123456789, "donor.email": "mary@example.com", "donor.isEligibleForExpressLane": True,
      "donor.employerData.occupation": "Retired", "form.name": "spring-appeal", "lineitems.len": 1,
      "form.managingEntityName": "Example PAC", "form.managingEntityCommitteeName": "Example PAC Committee"}),
    ("tandem-partner-line-item", lambda: mapping.lineitem_to_notification(CONTRIBUTION, PARTNER_ITEM, FORM),
     {"lineitems.0.entityId": 5002, "lineitems.0.committeeName": "Partner", "lineitems.0.amount": "15.5",
      "lineitems.0.fecId": None, "lineitems.len": 1, "contribution.orderNumber": "AB123456789"}),
    ("tandem-own-line-item-same-order", lambda: mapping.lineitem_to_notification(CONTRIBUTION, OWN_ITEM, FORM),
     {"lineitems.0.entityId": 5001, "lineitems.0.lineitemId": 123456789}),
    ("recurring-infinite", lambda: mapping.lineitem_to_notification(RECURRING, OWN_ITEM, FORM),
     {"contribution.recurringPeriod": "monthly", "contribution.recurringDuration": "infinite",
      "contribution.isRecurring": True}),
    ("refund", lambda: mapping.refund_to_notification(CONTRIBUTION, OWN_ITEM, FORM, REFUND),
     {"lineitems.0.refundedAt": "2023-06-12T10:03:11-04:00", "contribution.refundedAt": "2023-06-12T10:03:11-04:00",
      "lineitems.0.disbursedAt": None, "contribution.cancelledAt": "<absent>"}),
    ("tandem-refund-partner", lambda: mapping.refund_to_notification(CONTRIBUTION, PARTNER_ITEM, FORM, REFUND),
     {"lineitems.0.entityId": 5002, "lineitems.0.refundedAt": "2023-06-12T10:03:11-04:00"}),
    ("cancellation", lambda: mapping.cancellation_to_notification(RECURRING, OWN_ITEM, FORM, CANCEL),
     {"contribution.cancelledAt": "2023-06-20T11:02:47-04:00", "contribution.recurCompleted": 6,
      "contribution.recurPledged": 12, "lineitems.0.refundedAt": "<absent>"}),
    ("no-form", lambda: mapping.lineitem_to_notification(CONTRIBUTION, OWN_ITEM, None),
     {"form": "<absent>", "contribution.contributionForm": ""}),
]


def dig(body, path: str):
    for part in path.split("."):
        if part == "len":
            return len(body)
        if isinstance(body, list):
            body = body[int(part)]
        elif part not in body:
            return "<absent>"
        else:
            body = body[part]
    return body


@pytest.mark.parametrize("build, expected", [(b, e) for _, b, e in CASES], ids=[c[0] for c in CASES])
def test_it_maps_each_kind(build, expected):
    body = build()
    assert {path: dig(body, path) for path in expected} == expected


KEY_CASES = [
    ({"kind": "contribution", "lineitem_id": 42}, "actblue:contribution:42"),
    ({"kind": "refund", "lineitem_id": 42}, "actblue:refund:42"),
    ({"kind": "cancellation", "order_number": "AB1", "cancelled_at": datetime(2023, 6, 20, 15, 2, 47, tzinfo=UTC)},
     "actblue:cancellation:AB1:2023-06-20T15:02:47+00:00"),
]


@pytest.mark.parametrize("given, expected", KEY_CASES, ids=[k for k, _ in [(c[1], 0) for c in KEY_CASES]])
def test_it_builds_delivery_keys(given, expected):
    assert mapping.delivery_key(**given) == expected


def test_it_refuses_naive_times():
    with pytest.raises(ValueError):
        mapping.iso(datetime(2023, 1, 1))


@pytest.mark.parametrize("value, text", [("25", "25.0"), ("15.5", "15.5"), ("10.25", "10.25"), ("0.10", "0.1"),
                                         ("100.00", "100.0"), ("0", "0.0")])
def test_amounts_are_written_as_actblue_writes_them(value, text):
    assert mapping.amount_text(Decimal(value)) == text


def test_required_donor_keys_stay_even_when_empty():
    nameless = NS(**{**vars(CONTRIBUTION), "donor_first_name": "", "donor_email": "", "donor_phone": "", "donor_city": ""})
    donor = mapping.donor_dict(nameless)
    assert (donor["firstname"], donor["email"]) == ("", "")
    assert "phone" not in donor and "city" not in donor
