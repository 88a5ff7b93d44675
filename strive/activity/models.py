"""ActionKit pages, actions and usergroups as seen by one connection, and what they drive on the Strive side.

Every row belongs to a Connection (and through it to an entity). ActionKit ids are unique per connection, which
is what makes the webhook and the poll safe to overlap: both insert by (connection, ak_id) and only the one that
claims the row processes it.
"""

from django.db import models
from django.utils import timezone

from integrations.models import Connection, Entity
from strive.models import Group, Member


class WebhookSecret(models.Model):
    """The random token in a connection's page-webhook URL. Regenerating replaces it, so the old URL stops working."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="activity_webhook")
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)


class Page(models.Model):
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="ak_pages")
    ak_id = models.BigIntegerField()
    name = models.CharField(max_length=255)
    title = models.CharField(max_length=500, blank=True)
    type = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=40, blank=True)
    hidden = models.BooleanField(default=False)
    ak_updated_at = models.DateTimeField(null=True, blank=True)
    synced = models.BooleanField(default=False)
    synced_at = models.DateTimeField(null=True, blank=True, help_text="Actions created before this are history.")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    import_status = models.CharField(max_length=20, blank=True, help_text="'', running, done or failed.")
    imported_actions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "ak_id"], name="activity_page_unique_ak_id")]
        indexes = [models.Index(fields=["connection", "synced"]), models.Index(fields=["connection", "name"])]

    def __str__(self) -> str:
        return self.name


class Action(models.Model):
    """One ActionKit action on a synced page, stored once; `processed_at` is set by whoever claimed it."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        POLL = "poll", "Poll"
        IMPORT = "import", "Initial import"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="ak_actions")
    ak_id = models.BigIntegerField()
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="actions")
    ak_user_id = models.BigIntegerField()
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="ak_actions")
    fields = models.JSONField(default=dict, blank=True)
    search_text = models.TextField(blank=True, help_text="Lower-cased field values and user id, for search.")
    source = models.CharField(max_length=10, choices=Source.choices)
    ak_created_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "ak_id"], name="activity_action_unique_ak_id")]
        indexes = [
            models.Index(fields=["connection", "-id"], name="activity_action_recent_idx"),
            models.Index(fields=["connection", "processed_at"], name="activity_action_todo_idx"),
            models.Index(fields=["connection", "ak_user_id"], name="activity_action_user_idx"),
        ]


class ActionFieldName(models.Model):
    """The actionfield names seen on each synced page, for the ActionField group dropdown."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="field_names")
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "name"], name="activity_fieldname_unique")]


class ActionFieldGroup(models.Model):
    """A group of members whose actions carry `field_name` (containing `value`, if set), on one page or all."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="actionfield_groups")
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="actionfield_rule")
    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    field_name = models.CharField(max_length=200)
    value = models.CharField(max_length=500, blank=True, help_text="Matched as 'contains', ignoring case.")
    created_at = models.DateTimeField(default=timezone.now)


class Usergroup(models.Model):
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="ak_usergroups")
    ak_id = models.BigIntegerField()
    name = models.CharField(max_length=255)
    gone = models.BooleanField(default=False, help_text="No longer listed by ActionKit.")
    synced = models.BooleanField(default=False)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ak_user_count = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "ak_id"], name="activity_usergroup_unique")]


class Automation(models.Model):
    """Send `template` to the member who acted on `page`. Merge fields: {{first_name}}, {{page_title}}, ..."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="automation")
    template = models.TextField()
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)


class AutomationRun(models.Model):
    """The proof an action triggered its automation: at most one row per action, ever."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="automation_run")
    created_at = models.DateTimeField(default=timezone.now)


class OutboxMessage(models.Model):
    """Every message handed to the SMS backend; the default backend stops here, a real one fills `provider_ref`."""

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded in outbox"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="sms_outbox")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run = models.OneToOneField(AutomationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="message")
    to_phone = models.CharField(max_length=20)
    body = models.TextField()
    backend = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECORDED)
    provider_ref = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["entity", "-id"], name="activity_outbox_recent_idx")]


class WebhookEvent(models.Model):
    """A page-webhook body as received, one per ActionKit action id; a task turns it into an Action after the 2xx."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="ak_webhook_events")
    ak_action_id = models.BigIntegerField()
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "ak_action_id"], name="activity_webhook_unique")]
        indexes = [models.Index(fields=["processed_at", "id"], name="activity_webhook_todo_idx")]
