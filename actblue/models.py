"""The contribution ledger: forms, contributions, one line item per recipient, refunds and recurring cancellations.

ActBlue's own numbers (lineitemId, orderNumber, entityId) are kept as they came, because they are the keys that
make every way in idempotent and every delivery key stable. Recipients and managing entities are hub entities;
ActBlueEntityLink maps ActBlue's numeric entityId onto them, since the hub's Entity knows no vendor.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.models import Entity


class ActBlueEntityLink(models.Model):
    """ActBlue's numeric entityId for a hub entity (one each way)."""

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="actblue_link")
    actblue_entity_id = models.BigIntegerField(unique=True)
    committee_name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"ActBlue entity {self.actblue_entity_id} → {self.entity_id}"


class Form(models.Model):
    """A contribution form. Its manager (managing entity, else owner) is who "Notify for All Managed Pages" follows."""

    name = models.CharField(max_length=200, unique=True, help_text="ActBlue's form slug; unique across ActBlue.")
    kind = models.CharField(max_length=40, blank=True, default="page")
    owner = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="actblue_forms")
    managing_entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="actblue_managed_forms",
                                        help_text="Set for tandem or managed forms run on behalf of others.")
    managing_entity_name = models.CharField(max_length=200, blank=True)
    owner_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def manager_id(self) -> int:
        return self.managing_entity_id or self.owner_id


class Contribution(models.Model):
    """One ActBlue order. Every charge of a recurring series shares its order number, so it is the key here."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="actblue_contributions",
                               help_text="The entity whose API key, import or demo recorded it.")
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions")
    order_number = models.CharField(max_length=64, unique=True)
    created_at_ab = models.DateTimeField(help_text="ActBlue's createdAt, stored in UTC.")
    unique_identifier = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, blank=True, default="approved")
    # The donor, as ActBlue sent it.
    donor_first_name = models.CharField(max_length=100, blank=True)
    donor_last_name = models.CharField(max_length=100, blank=True)
    donor_email = models.CharField(max_length=254, blank=True)
    donor_phone = models.CharField(max_length=40, blank=True)
    donor_addr1 = models.CharField(max_length=200, blank=True)
    donor_city = models.CharField(max_length=100, blank=True)
    donor_state = models.CharField(max_length=100, blank=True)
    donor_zip = models.CharField(max_length=20, blank=True)
    donor_country = models.CharField(max_length=100, blank=True)
    donor_employer = models.CharField(max_length=200, blank=True)
    donor_occupation = models.CharField(max_length=200, blank=True)
    donor_express_eligible = models.BooleanField(default=False)
    # Attribution and recurrence.
    refcodes = models.JSONField(default=dict, blank=True)
    refcode = models.CharField(max_length=200, blank=True)
    refcode2 = models.CharField(max_length=200, blank=True)
    recurring_period = models.CharField(max_length=20, blank=True, default="once")
    recurring_duration = models.CharField(max_length=20, blank=True, default="1", help_text="A number or 'infinite'.")
    is_recurring = models.BooleanField(default=False)
    # Express lane and channel flags.
    is_paypal = models.BooleanField(default=False)
    is_mobile = models.BooleanField(default=False)
    is_express = models.BooleanField(default=False)
    with_express_lane = models.BooleanField(default=False)
    express_signup = models.BooleanField(default=False)
    text_message_option = models.CharField(max_length=20, blank=True)
    custom_fields = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["entity", "-id"], name="ab_contribution_entity_idx")]

    def __str__(self) -> str:
        return self.order_number


class LineItem(models.Model):
    """One recipient's share of one charge. `lineitem_id` is ActBlue's, unique across ActBlue."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="line_items")
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="Copied from the contribution so backfills can filter without a join.")
    lineitem_id = models.BigIntegerField(unique=True)
    sequence = models.PositiveIntegerField(default=0)
    recipient = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="actblue_line_items")
    recipient_actblue_id = models.BigIntegerField()
    committee_name = models.CharField(max_length=200, blank=True)
    fec_id = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_at = models.DateTimeField()
    payment_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "id"], name="ab_lineitem_recipient_idx"),
            models.Index(fields=["form", "id"], name="ab_lineitem_form_idx"),
        ]

    def __str__(self) -> str:
        return str(self.lineitem_id)


class Refund(models.Model):
    line_item = models.OneToOneField(LineItem, on_delete=models.CASCADE, related_name="refund")
    refunded_at = models.DateTimeField()
    disbursed_at = models.DateTimeField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)


class Cancellation(models.Model):
    """A recurring series stopped. The cancelled CSV has no line item, so the order number is the key."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="cancellations")
    cancelled_at = models.DateTimeField()
    recur_completed = models.PositiveIntegerField(null=True, blank=True)
    recur_pledged = models.PositiveIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contribution", "cancelled_at"], name="ab_cancellation_unique")]


def lineitems_for_connection_q(*, entity_id: int, notify_managed: bool, managed_form_ids=None) -> Q:
    """Which line items an ActionKit connection of this entity receives (see the article's managed-forms setting)."""
    q = Q(recipient_id=entity_id)
    if notify_managed:
        q |= Q(form_id__in=managed_form_ids) if managed_form_ids is not None else (
            Q(form__managing_entity_id=entity_id) | Q(form__managing_entity__isnull=True, form__owner_id=entity_id))
    return q
