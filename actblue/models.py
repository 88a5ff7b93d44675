"""The contribution ledger: forms, contributions, one line item per recipient, refunds and recurring cancellations.

Every row lives inside the tenant (hub `Entity`) whose API key, webhook, CSV import or demo recorded it. ActBlue's
own numbers (form name, orderNumber, lineitemId, entityId) are kept as they came, because they make every way in
idempotent and every delivery key stable, but they are only claims made by that tenant: they are unique within
the tenant, never across tenants, so nothing one tenant sends can reach, change or route another tenant's rows.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.models import Entity


class ActBlueProfile(models.Model):
    """What an organization says about itself in ActBlue, and the credentials ActBlue's webhooks use to reach us.

    `entity_ids` are the ActBlue entity ids the organization names in Settings (ActBlue shows them on its
    dashboard): line items to these are "contributions to your entity". The webhook password is generated here,
    shown once, and stored only as a SHA-256 digest (it is 32 random bytes, so a slow hash adds nothing).
    """

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="actblue_profile")
    entity_ids = models.JSONField(default=list, blank=True, help_text="The organization's own ActBlue entity ids.")
    committee_name = models.CharField(max_length=200, blank=True)
    webhook_token = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                     help_text="The random part of the organization's webhook URL.")
    webhook_username = models.CharField(max_length=64, blank=True)
    webhook_password_digest = models.CharField(max_length=64, blank=True)
    webhook_created_at = models.DateTimeField(null=True, blank=True)
    webhook_last_received_at = models.DateTimeField(null=True, blank=True)
    webhook_last_status = models.PositiveSmallIntegerField(null=True, blank=True,
                                                           help_text="The HTTP status we answered the last webhook.")

    def __str__(self) -> str:
        return f"ActBlue profile of {self.entity_id}"

    @property
    def own_ids(self) -> set[int]:
        return {int(i) for i in self.entity_ids or []}


class Form(models.Model):
    """A contribution form as this tenant knows it. `managed`: the tenant runs it for others (tandem/managed)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="actblue_forms")
    name = models.CharField(max_length=200, help_text="ActBlue's form slug.")
    kind = models.CharField(max_length=40, blank=True, default="page")
    managed = models.BooleanField(default=False, help_text="Line items on it go to other recipients too, or its "
                                                           "managing entity is this organization.")
    managing_entity_name = models.CharField(max_length=200, blank=True)
    managing_entity_committee_name = models.CharField(max_length=200, blank=True)
    owner_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "name"], name="ab_form_unique_entity_name")]

    def __str__(self) -> str:
        return self.name


class Contribution(models.Model):
    """One ActBlue order. Every charge of a recurring series shares its order number, so it is the key here."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="actblue_contributions",
                               help_text="The tenant whose API key, webhook, import or demo recorded it.")
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions")
    order_number = models.CharField(max_length=64)
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
        constraints = [models.UniqueConstraint(fields=["entity", "order_number"], name="ab_contribution_unique_order")]
        indexes = [models.Index(fields=["entity", "-id"], name="ab_contribution_entity_idx")]

    def __str__(self) -> str:
        return self.order_number


class LineItem(models.Model):
    """One recipient's share of one charge. `lineitem_id` is ActBlue's; the tenant's ledger holds it once."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="actblue_line_items",
                               help_text="The tenant that recorded it (its contribution's entity).")
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="line_items")
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="Copied from the contribution so backfills can filter without a join.")
    lineitem_id = models.BigIntegerField()
    sequence = models.PositiveIntegerField(default=0)
    recipient_actblue_id = models.BigIntegerField(help_text="ActBlue's entityId of the recipient, as sent.")
    committee_name = models.CharField(max_length=200, blank=True)
    fec_id = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_at = models.DateTimeField()
    payment_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "lineitem_id"], name="ab_lineitem_unique_entity_id")]
        indexes = [
            models.Index(fields=["entity", "recipient_actblue_id", "id"], name="ab_lineitem_recipient_idx"),
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


def lineitems_for_connection_q(*, entity_id: int, own_ids: set[int], notify_managed: bool) -> Q:
    """Which of the tenant's line items its ActionKit connection receives (the article's managed-forms setting).

    Always the tenant's own ledger: contributions to its own ActBlue entity ids, plus, with "Notify for All
    Managed Pages", every line item on the forms it manages. Nothing outside the tenant's ledger, ever.
    """
    q = Q(recipient_actblue_id__in=sorted(own_ids))
    if notify_managed:
        q |= Q(form__managed=True)
    return Q(entity_id=entity_id) & q
