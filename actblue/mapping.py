"""Pure functions from ledger rows to ActBlue-format notifications (actblue-webhooks.md §3–§6 and §11).

No ORM queries, HTTP or clock: every function reads attributes of the objects it is given, so the tables in
tests/actblue/test_mapping.py can pass simple namespaces. One notification describes one line item, as ActBlue
sends them. Times leave as ISO-8601 with an explicit UTC offset (reference §8: convert to UTC before AK).
"""

from datetime import UTC, datetime
from decimal import Decimal

KIND_CONTRIBUTION = "contribution"
KIND_REFUND = "refund"
KIND_CANCELLATION = "cancellation"


def iso(value: datetime | None) -> str | None:
    """Aware datetime → '2023-06-07T19:49:32+00:00'; None stays None."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("Naive datetimes are ambiguous; the ledger stores aware UTC times.")
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def amount_text(value) -> str:
    """ActBlue sends amounts as decimal strings such as "25.0"; keep cents exact."""
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


def donor_dict(contribution) -> dict:
    c = contribution
    donor = {"firstname": c.donor_first_name, "lastname": c.donor_last_name, "addr1": c.donor_addr1 or None,
             "city": c.donor_city, "state": c.donor_state, "zip": c.donor_zip, "country": c.donor_country,
             "email": c.donor_email, "phone": c.donor_phone or None,
             "isEligibleForExpressLane": bool(c.donor_express_eligible),
             "employerData": {"employer": c.donor_employer or None, "occupation": c.donor_occupation or None,
                              "employerAddr1": None, "employerCity": None, "employerState": None,
                              "employerCountry": None}}
    # ActBlue leaves missing fields out entirely rather than sending empty strings.
    return {key: value for key, value in donor.items() if value not in ("",)}


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
    """The refund notification: the line item again, with refundedAt on both places receivers read it (§6)."""
    body = lineitem_to_notification(contribution, item, form)
    body["lineitems"][0].update({"refundedAt": iso(refund.refunded_at), "disbursedAt": iso(refund.disbursed_at),
                                 "recoveredAt": iso(refund.recovered_at)})
    body["contribution"]["refundedAt"] = iso(refund.refunded_at)
    return body


def cancellation_to_notification(contribution, item, form, cancellation) -> dict:
    """The cancellation notification: the series' latest line item with contribution.cancelledAt set (§6)."""
    body = lineitem_to_notification(contribution, item, form)
    body["contribution"].update({"cancelledAt": iso(cancellation.cancelled_at),
                                 "recurCompleted": cancellation.recur_completed,
                                 "recurPledged": cancellation.recur_pledged})
    return body


def delivery_key(*, kind: str, lineitem_id: int | None = None, order_number: str = "",
                  cancelled_at: datetime | None = None) -> str:
    """The outbox key of an event: live and backfill rows share it, so an event is sent once per connection."""
    if kind == KIND_CANCELLATION:
        return f"actblue:cancellation:{order_number}:{iso(cancelled_at)}"
    return f"actblue:{kind}:{lineitem_id}"
