"""Ledger per tenant, step 3 of 4: drop the cross-tenant columns and the global entity links, and make ActBlue's
numbers unique within each tenant: (entity, form name), (entity, order number), (entity, line item id)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("actblue", "0003_tenant_ledger_data"),
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="lineitem", name="ab_lineitem_recipient_idx"),
        migrations.RemoveField(model_name="lineitem", name="recipient"),
        migrations.RemoveField(model_name="form", name="owner"),
        migrations.RemoveField(model_name="form", name="managing_entity"),
        migrations.DeleteModel(name="ActBlueEntityLink"),
        migrations.AlterField(
            model_name="form",
            name="entity",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="actblue_forms", to="integrations.entity"),
        ),
        migrations.AlterField(
            model_name="lineitem",
            name="entity",
            field=models.ForeignKey(help_text="The tenant that recorded it (its contribution's entity).", on_delete=django.db.models.deletion.CASCADE, related_name="actblue_line_items", to="integrations.entity"),
        ),
        migrations.AlterField(
            model_name="lineitem",
            name="recipient_actblue_id",
            field=models.BigIntegerField(help_text="ActBlue's entityId of the recipient, as sent."),
        ),
        migrations.AlterField(
            model_name="lineitem",
            name="lineitem_id",
            field=models.BigIntegerField(),
        ),
        migrations.AlterField(
            model_name="contribution",
            name="entity",
            field=models.ForeignKey(help_text="The tenant whose API key, webhook, import or demo recorded it.", on_delete=django.db.models.deletion.CASCADE, related_name="actblue_contributions", to="integrations.entity"),
        ),
        migrations.AddConstraint(
            model_name="form",
            constraint=models.UniqueConstraint(fields=("entity", "name"), name="ab_form_unique_entity_name"),
        ),
        migrations.AddConstraint(
            model_name="contribution",
            constraint=models.UniqueConstraint(fields=("entity", "order_number"), name="ab_contribution_unique_order"),
        ),
        migrations.AddConstraint(
            model_name="lineitem",
            constraint=models.UniqueConstraint(fields=("entity", "lineitem_id"), name="ab_lineitem_unique_entity_id"),
        ),
        migrations.AddIndex(
            model_name="lineitem",
            index=models.Index(fields=["entity", "recipient_actblue_id", "id"], name="ab_lineitem_recipient_idx"),
        ),
    ]
