"""Ledger per tenant, step 2 of 4: move every row into the tenant that recorded it.

What happens to each kind of row:
- Contributions stay with the tenant that recorded them (`Contribution.entity`, unchanged). Their line items,
  refunds and cancellations follow them: `LineItem.entity` is its contribution's entity.
- A form used by several tenants (the first poster "owned" it and the others' gifts were filed under it) is
  split: each tenant that recorded contributions on it gets its own copy, and its contributions and line items
  point at that copy. A form nobody recorded a contribution on stays with its old owner.
- `Form.managed` is recomputed per tenant: a form is managed when a line item on it goes to a recipient other than
  the tenant's own ActBlue entity id, or its managing entity name is the tenant's committee name.
- A tenant's ActBlue entity id (`ActBlueEntityLink`) becomes its profile's `entity_ids`, for tenants that people or
  connections use. Links of entities that were created automatically for an unknown `entityId` (no members, no
  connection, nothing recorded) are dropped; step 4 deletes those entities.
- Open outbox rows (pending, failed or sending) whose ledger row belongs to another tenant than the connection's are
  cancelled with a note saying why: under the old global keys one tenant's gifts could be queued for another
  tenant's ActionKit, and they must never be sent. Rows already delivered keep their history.
"""

from django.db import migrations
from django.db.models import Q

KIND = "actblue_actionkit"
OPEN = ("pending", "failed", "sending")
CANCELLED_NOTE = ("Cancelled by the per-tenant ledger migration: this notification came from another organization's "
                  "ledger and is never sent to this ActionKit.")


def _is_real_tenant(apps, entity_id) -> bool:
    Membership = apps.get_model("integrations", "Membership")
    Connection = apps.get_model("integrations", "Connection")
    Contribution = apps.get_model("actblue", "Contribution")
    return (Membership.objects.filter(entity_id=entity_id).exists() or Connection.objects.filter(entity_id=entity_id).exists()
            or Contribution.objects.filter(entity_id=entity_id).exists())


def profiles_from_links(apps):
    Link = apps.get_model("actblue", "ActBlueEntityLink")
    Profile = apps.get_model("actblue", "ActBlueProfile")
    for link in Link.objects.all():
        if _is_real_tenant(apps, link.entity_id):
            Profile.objects.update_or_create(entity_id=link.entity_id, defaults={
                "entity_ids": [link.actblue_entity_id], "committee_name": link.committee_name})


def forms_split(apps):
    Form = apps.get_model("actblue", "Form")
    Contribution = apps.get_model("actblue", "Contribution")
    LineItem = apps.get_model("actblue", "LineItem")
    for form in Form.objects.all().iterator():
        tenants = sorted(set(Contribution.objects.filter(form=form).values_list("entity_id", flat=True)))
        keeper = form.owner_id if not tenants or form.owner_id in tenants else tenants[0]
        form.entity_id = keeper
        form.save(update_fields=["entity"])
        for tenant in tenants:
            if tenant == keeper:
                continue
            copy = Form.objects.create(entity_id=tenant, name=form.name, kind=form.kind, owner_id=form.owner_id,
                                       managing_entity_name=form.managing_entity_name, owner_email=form.owner_email,
                                       created_at=form.created_at)
            Contribution.objects.filter(form=form, entity_id=tenant).update(form=copy)
            LineItem.objects.filter(form=form, contribution__entity_id=tenant).update(form=copy)
    for entity_id in Contribution.objects.values_list("entity_id", flat=True).distinct():
        LineItem.objects.filter(contribution__entity_id=entity_id).update(entity_id=entity_id)


def forms_managed(apps):
    Form = apps.get_model("actblue", "Form")
    LineItem = apps.get_model("actblue", "LineItem")
    Profile = apps.get_model("actblue", "ActBlueProfile")
    own = {p.entity_id: ({int(i) for i in p.entity_ids}, (p.committee_name or "").strip().casefold())
           for p in Profile.objects.all()}
    for form in Form.objects.all().iterator():
        ids, name = own.get(form.entity_id, (set(), ""))
        others = LineItem.objects.filter(form=form).exclude(recipient_actblue_id__in=sorted(ids)).exists()
        named = bool(name) and name == (form.managing_entity_name or "").strip().casefold()
        if others or named:
            form.managed = True
            form.save(update_fields=["managed"])


def deliveries_cross_tenant_cancel(apps):
    Delivery = apps.get_model("integrations", "Delivery")
    LineItem = apps.get_model("actblue", "LineItem")
    Refund = apps.get_model("actblue", "Refund")
    Cancellation = apps.get_model("actblue", "Cancellation")
    sources = {"contribution": lambda ids: dict(LineItem.objects.filter(pk__in=ids).values_list("pk", "contribution__entity_id")),
               "refund": lambda ids: dict(Refund.objects.filter(pk__in=ids).values_list("pk", "line_item__contribution__entity_id")),
               "cancellation": lambda ids: dict(Cancellation.objects.filter(pk__in=ids).values_list("pk", "contribution__entity_id"))}
    rows = Delivery.objects.filter(connection__kind=KIND, status__in=OPEN).values_list("pk", "event_type", "source_id",
                                                                                        "connection__entity_id")
    batch = []
    for row in rows.iterator(chunk_size=2000):
        batch.append(row)
        if len(batch) == 2000:
            _cancel_foreign(Delivery, sources, batch)
            batch = []
    _cancel_foreign(Delivery, sources, batch)


def _cancel_foreign(Delivery, sources, batch):  # noqa: N803 - a historical model passed in
    foreign = []
    for event_type, lookup in sources.items():
        typed = [row for row in batch if row[1] == event_type]
        tenants = lookup([row[2] for row in typed]) if typed else {}
        foreign += [pk for pk, _, source_id, entity_id in typed if tenants.get(source_id) not in (None, entity_id)]
    if foreign:
        Delivery.objects.filter(pk__in=foreign).update(status="cancelled", last_error=CANCELLED_NOTE, claimed_at=None)


def forward(apps, schema_editor):
    profiles_from_links(apps)
    forms_split(apps)
    forms_managed(apps)
    deliveries_cross_tenant_cancel(apps)


def backward(apps, schema_editor):
    # Step 1 relaxed the unique constraints, so going back only needs the tenant columns cleared.
    apps.get_model("actblue", "LineItem").objects.update(entity=None)


class Migration(migrations.Migration):

    dependencies = [
        ("actblue", "0002_tenant_ledger_schema"),
        ("integrations", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
