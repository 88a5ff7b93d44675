"""Ledger per tenant, step 1 of 4: add the tenant columns and the profile, and relax ActBlue's numbers to non-unique
so step 2 can give each tenant its own copy of a form it shared with others."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("actblue", "0001_initial"),
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActBlueProfile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("entity_ids", models.JSONField(blank=True, default=list, help_text="The organization's own ActBlue entity ids.")),
                ("committee_name", models.CharField(blank=True, max_length=200)),
                ("webhook_token", models.CharField(blank=True, help_text="The random part of the organization's webhook URL.", max_length=64, null=True, unique=True)),
                ("webhook_username", models.CharField(blank=True, max_length=64)),
                ("webhook_password_digest", models.CharField(blank=True, max_length=64)),
                ("webhook_created_at", models.DateTimeField(blank=True, null=True)),
                ("webhook_last_received_at", models.DateTimeField(blank=True, null=True)),
                ("webhook_last_status", models.PositiveSmallIntegerField(blank=True, help_text="The HTTP status we answered the last webhook.", null=True)),
                ("entity", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="actblue_profile", to="integrations.entity")),
            ],
        ),
        migrations.AddField(
            model_name="form",
            name="entity",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="integrations.entity"),
        ),
        migrations.AddField(
            model_name="form",
            name="managed",
            field=models.BooleanField(default=False, help_text="Line items on it go to other recipients too, or its managing entity is this organization."),
        ),
        migrations.AddField(
            model_name="form",
            name="managing_entity_committee_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="lineitem",
            name="entity",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="integrations.entity"),
        ),
        migrations.AlterField(model_name="form", name="name", field=models.CharField(help_text="ActBlue's form slug.", max_length=200)),
        migrations.AlterField(model_name="contribution", name="order_number", field=models.CharField(max_length=64)),
        migrations.AlterField(model_name="lineitem", name="lineitem_id", field=models.BigIntegerField()),
    ]
