"""Pure functions from ledger rows to ActBlue-format notifications, shaped as ActBlue's samples in tests/fixtures/actblue/.

No ORM queries, HTTP or clock: every function reads attributes of the objects it is given, so the tables in
tests/actblue/test_mapping.py can pass simple namespaces. One notification describes one line item, as ActBlue
sends them. Times leave as ActBlue sends them: ISO-8601 in America/New_York with its offset ("-04:00"), the
same instant as the ledger's UTC value. Delivery keys keep UTC, so keys written before stay the same.
"""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")

KIND_CONTRIBUTION = "contribution"
KIND_REFUND = "refund"
KIND_CANCELLATION = "cancellation"
DONOR_REQUIRED = ("firstname", "lastname", "email")


def iso(value: datetime | None, zone=EASTERN) -> str | None:
    """Aware datetime → '2023-06-07T15:49:32-04:00' (ActBlue's Eastern time); None stays None."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("Naive datetimes are ambiguous; the ledger stores aware UTC times.")
    return value.astimezone(zone).replace(microsecond=0).isoformat()


def amount_text(value) -> str:
    """ActBlue writes amounts as decimal strings with no padding: "25.0", "15.5", "10.25"; cents stay exact."""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f").rstrip("0")
    return text + "0" if text.endswith(".") else text


def donor_dict(contribution) -> dict:
    c = contribution
    donor = {"firstname": c.donor_first_name, "lastname": c.donor_last_name, "addr1": c.donor_addr1 or None,
             "city": c.donor_city, "state": c.donor_state, "zip": c.donor_zip, "country": c.donor_country,
             "email": c.donor_email, "phone": c.donor_phone or None,
             "isEligibleForExpressLane": bool(c.donor_express_eligible),
             "employerData": {"employer": c.donor_employer or None, "occupation": c.donor_occupation or None,
                              "employerAddr1": None, "employerCity": None, "employerState": None,
                              "employerCountry": None}}
    # ActBlue leaves missing optional fields out rather than sending empty strings; the ones its doc marks
    # required (firstname, lastname, email) are always there.
    return {key: value for key, value in donor.items() if value not in ("", None) or key in DONOR_REQUIRED}


def recurring_duration(text: str):
    text = str(text)
    return int(text) if text.isascii() and text.isdigit() else (text or 1)


def contribution_dict(contribution, form) -> dict:
    c = contribution
    return {"createdAt": iso(c.created_at_ab), "orderNumber": c.order_number,
            "contributionForm": form.name if form else "", "refcodes": dict(c.refcodes or {}),
            "refcode": c.refcode or None, "refcode2": c.refcode2 or None,
            "recurringPeriod": c.recurring_period or "once", "recurringDuration": recurring_duration(c.recurring_duration),
            "isRecurring": bool(c.is_recurring), "isPaypal": bool(c.is_paypal), "isMobile": bool(c.is_mobile),
            "isExpress": bool(c.is_express), "withExpressLane": bool(c.with_express_lane),
            "expressSignup": bool(c.express_signup), "uniqueIdentifier": c.unique_identifier or None,
            "status": c.status or "approved", "textMessageOption": c.text_message_option or "unknown",
            "customFields": list(c.custom_fields or [])}


def lineitem_dict(item) -> dict:
    return {"sequence": item.sequence, "entityId": item.recipient_actblue_id, "fecId": item.fec_id or None,
            "committeeName": item.committee_name, "amount": amount_text(item.amount), "paidAt": iso(item.paid_at),
            "paymentId": item.payment_id, "lineitemId": item.lineitem_id}


def form_dict(form) -> dict | None:
    if form is None:
        return None
    return {"name": form.name, "kind": form.kind or "page", "ownerEmail": form.owner_email or None,
            "managingEntityName": form.managing_entity_name or None,
            "managingEntityCommitteeName": form.managing_entity_committee_name or None}


def lineitem_to_notification(contribution, item, form) -> dict:
    """The contribution notification for one line item."""
    body = {"donor": donor_dict(contribution), "contribution": contribution_dict(contribution, form),
            "lineitems": [lineitem_dict(item)]}
    if form is not None:
        body["form"] = form_dict(form)
    return body


def refund_to_notification(contribution, item, form, refund) -> dict:
    """The refund notification: the line item again, with refundedAt on both places receivers read it (the line item and the contribution)."""
    body = lineitem_to_notification(contribution, item, form)
    body["lineitems"][0].update({"refundedAt": iso(refund.refunded_at), "disbursedAt": iso(refund.disbursed_at),
                                 "recoveredAt": iso(refund.recovered_at)})
    body["contribution"]["refundedAt"] = iso(refund.refunded_at)
    return body


def cancellation_to_notification(contribution, item, form, cancellation) -> dict:
    """The cancellation notification: the series' latest line item with contribution.cancelledAt set."""
    body = lineitem_to_notification(contribution, item, form)
    body["contribution"].update({"cancelledAt": iso(cancellation.cancelled_at),
                                 "recurCompleted": cancellation.recur_completed,
                                 "recurPledged": cancellation.recur_pledged})
    return body


def delivery_key(*, kind: str, lineitem_id: int | None = None, order_number: str = "",
                  cancelled_at: datetime | None = None) -> str:
    """The outbox key of an event: live and backfill rows share it, so an event is sent once per connection."""
    if kind == KIND_CANCELLATION:
        return f"actblue:cancellation:{order_number}:{iso(cancelled_at, UTC)}"
    return f"actblue:{kind}:{lineitem_id}"
