"""Record contributions, refunds and cancellations, and write their outbox rows in the same transaction.

Input is the validated webhook shape (actblue.serializers): {"donor", "contribution", "lineitems", "form"} with
datetimes already parsed. Every function is idempotent: ActBlue's lineitemId (and orderNumber + cancelledAt for
cancellations) decide whether a record exists, so the same notification twice is one record and one delivery.
Every lookup is inside the recording tenant's ledger: another tenant's numbers are invisible here, so a body can
neither reach nor reveal them, and no body creates an Entity.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from actblue.models import ActBlueProfile, Cancellation, Contribution, Form, LineItem, Refund
from actblue.services import outbox
from actblue.services.profile import own_ids_learn, profile_ensure
from integrations.models import Entity


class LedgerConflict(ValueError):
    """The notification contradicts what this tenant's ledger already holds."""


@dataclass
class RecordResult:
    contribution: Contribution
    created: list = field(default_factory=list)  # New ledger rows (line items, refunds or cancellations).
    existing: list = field(default_factory=list)


DONOR_FIELDS = {"firstname": "donor_first_name", "lastname": "donor_last_name", "email": "donor_email",
                "phone": "donor_phone", "addr1": "donor_addr1", "city": "donor_city", "state": "donor_state",
                "zip": "donor_zip", "country": "donor_country"}
CONTRIBUTION_FIELDS = {"uniqueIdentifier": "unique_identifier", "status": "status", "refcode": "refcode",
                       "refcode2": "refcode2", "recurringPeriod": "recurring_period", "isRecurring": "is_recurring",
                       "isPaypal": "is_paypal", "isMobile": "is_mobile", "isExpress": "is_express",
                       "withExpressLane": "with_express_lane", "expressSignup": "express_signup",
                       "textMessageOption": "text_message_option", "refcodes": "refcodes", "customFields": "custom_fields"}


def _contribution_defaults(entity: Entity, data: dict, form: Form | None) -> dict:
    donor, contribution = data.get("donor") or {}, data["contribution"]
    employer = donor.get("employerData") or {}
    values = {model: donor.get(key) for key, model in DONOR_FIELDS.items()}
    values.update({model: contribution.get(key) for key, model in CONTRIBUTION_FIELDS.items()})
    values = {key: value for key, value in values.items() if value is not None}
    values.update(entity=entity, form=form, created_at_ab=contribution["createdAt"],
                  recurring_duration=str(contribution.get("recurringDuration") or "1"),
                  donor_employer=employer.get("employer") or "", donor_occupation=employer.get("occupation") or "",
                  donor_express_eligible=bool(donor.get("isEligibleForExpressLane")))
    return values


def _manages(profile: ActBlueProfile, form_data: dict, recipients: set[int]) -> bool:
    own_name = (profile.committee_name or "").strip().casefold()
    names = {(form_data.get(key) or "").strip().casefold() for key in ("managingEntityName", "managingEntityCommitteeName")}
    return bool(recipients - profile.own_ids) or bool(own_name and own_name in names)


def _form_ensure(entity: Entity, profile: ActBlueProfile, data: dict, recipients: set[int]) -> Form | None:
    name = (data.get("form") or {}).get("name") or data["contribution"].get("contributionForm")
    if not name:
        return None
    form_data = data.get("form") or {}
    managed = _manages(profile, form_data, recipients)
    form, created = Form.objects.get_or_create(entity=entity, name=name, defaults={
        "managed": managed, "kind": form_data.get("kind") or "page",
        "managing_entity_name": form_data.get("managingEntityName") or "",
        "managing_entity_committee_name": form_data.get("managingEntityCommitteeName") or "",
        "owner_email": form_data.get("ownerEmail") or ""})
    if managed and not form.managed:  # A later gift showed the form is run for others too.
        Form.objects.filter(pk=form.pk).update(managed=True)
        form.managed = True
    return form


def _contribution_ensure(entity: Entity, data: dict) -> Contribution:
    profile = ActBlueProfile.objects.filter(entity=entity).first() or profile_ensure(entity=entity)
    if not profile.entity_ids:
        # Locked only while learning, so concurrent first notifications learn the id once and later ones never wait.
        profile = ActBlueProfile.objects.select_for_update().get(pk=profile.pk)
        profile.entity = entity
        own_ids_learn(profile=profile, line_items=data["lineitems"])
    form = _form_ensure(entity, profile, data, {item["entityId"] for item in data["lineitems"]})
    contribution, _ = Contribution.objects.get_or_create(
        entity=entity, order_number=data["contribution"]["orderNumber"], defaults=_contribution_defaults(entity, data, form))
    return contribution


def _line_item_ensure(contribution: Contribution, item: dict) -> tuple[LineItem, bool]:
    line_item, created = LineItem.objects.get_or_create(entity_id=contribution.entity_id, lineitem_id=item["lineitemId"],
                                                        defaults={
        "contribution": contribution, "form": contribution.form, "sequence": item.get("sequence") or 0,
        "recipient_actblue_id": item["entityId"], "committee_name": item.get("committeeName") or "",
        "fec_id": item.get("fecId") or "", "amount": item["amount"], "paid_at": item["paidAt"],
        "payment_id": item.get("paymentId")})
    if created:
        return line_item, True
    # Only the tenant's own ledger is consulted, so naming what is stored tells the sender nothing new.
    if line_item.contribution_id != contribution.pk:
        raise LedgerConflict(f"Line item {line_item.lineitem_id} is already recorded on order "
                             f"{line_item.contribution.order_number}, not {contribution.order_number}.")
    if line_item.amount != Decimal(str(item["amount"])) or line_item.recipient_actblue_id != int(item["entityId"]):
        raise LedgerConflict(f"Line item {line_item.lineitem_id} is already recorded as {line_item.amount} to entity "
                             f"{line_item.recipient_actblue_id}; this body says {item['amount']} to entity "
                             f"{item['entityId']}. A recorded line item never changes: a refund is its own notification.")
    return line_item, False


def _line_items_ensure(contribution: Contribution, items: list[dict],
                       batch: outbox.OutboxBatch | None = None) -> Iterator[tuple[dict, LineItem, bool]]:
    """Yield (item, line item, created) for each item; a new line item gets its outbox rows before it is yielded,
    or joins `batch`, whose rows the caller writes later (an import chunk).

    A generator, so a caller's own per-item rows (refunds) interleave with the line items' as they always have.
    Callers must consume it to the end.
    """
    for item in items:
        line_item, created = _line_item_ensure(contribution, item)
        if created and batch is not None:
            batch.line_items.append(line_item)
        elif created:
            outbox.contribution_enqueue(line_item=line_item)
        yield item, line_item, created


@transaction.atomic
def contribution_record(*, entity: Entity, data: dict, batch: outbox.OutboxBatch | None = None) -> RecordResult:
    """Record a contribution notification; each new line item gets its outbox rows in this transaction (or in
    `batch`, see _line_items_ensure)."""
    contribution, items = _contribution_ensure(entity, data), data["lineitems"]
    result = RecordResult(contribution)
    for _, line_item, created in _line_items_ensure(contribution, items, batch):
        (result.created if created else result.existing).append(line_item)
    return result


@transaction.atomic
def refund_record(*, entity: Entity, data: dict, batch: outbox.OutboxBatch | None = None) -> RecordResult:
    """Record refunds of line items; an unknown line item is recorded from the same body first, so nothing is lost."""
    contribution, items = _contribution_ensure(entity, data), data["lineitems"]
    result = RecordResult(contribution)
    for item, line_item, _ in _line_items_ensure(contribution, items, batch):
        refunded_at = item.get("refundedAt") or data["contribution"].get("refundedAt")
        refund, created = Refund.objects.get_or_create(line_item=line_item, defaults={
            "refunded_at": refunded_at, "disbursed_at": item.get("disbursedAt"), "recovered_at": item.get("recoveredAt")})
        (result.created if created else result.existing).append(refund)
        if created and batch is not None:
            batch.refunds.append(refund)
        elif created:
            outbox.refund_enqueue(refund=refund)
    return result


@transaction.atomic
def cancellation_record(*, entity: Entity, data: dict) -> RecordResult:
    """Record a recurring cancellation, keyed by order number and cancelledAt."""
    contribution, items = _contribution_ensure(entity, data), data["lineitems"]
    result = RecordResult(contribution)
    list(_line_items_ensure(contribution, items))
    contribution_values = data["contribution"]
    cancellation, created = Cancellation.objects.get_or_create(
        contribution=contribution, cancelled_at=contribution_values["cancelledAt"],
        defaults={"recur_completed": contribution_values.get("recurCompleted"),
                  "recur_pledged": contribution_values.get("recurPledged")})
    (result.created if created else result.existing).append(cancellation)
    if created:
        outbox.cancellation_enqueue(cancellation=cancellation)
    return result


RECORDERS = {"contribution": contribution_record, "refund": refund_record, "cancellation": cancellation_record}


@transaction.atomic
def cancellation_record_by_order(*, entity: Entity, order_number: str, cancelled_at, recur_completed=None,
                                 recur_pledged=None, batch: outbox.OutboxBatch | None = None) -> RecordResult:
    """A cancellation from the cancelled-recurring CSV, which has no line item: the order must be recorded already."""
    contribution = Contribution.objects.filter(entity=entity, order_number=order_number).first()
    if contribution is None:
        raise LedgerConflict(f"Unknown Receipt ID {order_number}; import the paid contributions export first.")
    cancellation, created = Cancellation.objects.get_or_create(
        contribution=contribution, cancelled_at=cancelled_at,
        defaults={"recur_completed": recur_completed, "recur_pledged": recur_pledged})
    result = RecordResult(contribution, [cancellation] if created else [], [] if created else [cancellation])
    if created and batch is not None:
        batch.cancellations.append(cancellation)
    elif created:
        outbox.cancellation_enqueue(cancellation=cancellation)
    return result
