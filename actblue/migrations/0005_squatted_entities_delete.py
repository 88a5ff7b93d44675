"""Ledger per tenant, step 4 of 4: delete the hub entities that the old ledger created for unknown ActBlue entityIds.

They were made by whichever tenant first named an entityId (slug "actblue-<id>"), have no members, no connection and
recorded nothing, and nothing points at them any more: the line items they stood for stay in the ledgers of the
tenants that recorded them. Deleting them means the real organization, when it joins, starts with its own entity.
An entity with that slug that anyone uses is kept.
"""

from django.db import migrations


def forward(apps, schema_editor):
    Entity = apps.get_model("integrations", "Entity")
    Membership = apps.get_model("integrations", "Membership")
    Connection = apps.get_model("integrations", "Connection")
    Contribution = apps.get_model("actblue", "Contribution")
    used = (set(Membership.objects.values_list("entity_id", flat=True))
            | set(Connection.objects.values_list("entity_id", flat=True))
            | set(Contribution.objects.values_list("entity_id", flat=True)))
    squatted = [pk for pk, slug in Entity.objects.filter(slug__regex=r"^actblue-[0-9]+$").values_list("pk", "slug")
                if pk not in used]
    Entity.objects.filter(pk__in=squatted).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("actblue", "0004_tenant_ledger_constraints"),
        ("integrations", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
