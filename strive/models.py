"""SMS members (keyed by phone), their groups, and the ActionKit member sync state."""

from django.db import models
from django.utils import timezone

from integrations.models import Connection, Entity


class Member(models.Model):
    class OptIn(models.TextChoices):
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"
        UNKNOWN = "unknown", "Unknown"

    # No index of its own: every index below leads with entity, and a lone one misleads the planner (see ScannedUser).
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="members", db_index=False)
    phone = models.CharField(max_length=20, help_text="E.164, e.g. +12025550101")
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    zip = models.CharField(max_length=20, blank=True)
    sms_opt_in = models.CharField(max_length=10, choices=OptIn.choices, default=OptIn.UNKNOWN)
    custom_fields = models.JSONField(default=dict, blank=True, help_text="Custom text fields: name -> text.")
    source = models.CharField(max_length=100, blank=True)
    ak_sync_error = models.CharField(max_length=300, blank=True, help_text="Why the last push to ActionKit failed.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "phone"], name="member_unique_entity_phone")]
        indexes = [models.Index(fields=["entity", "source"]), models.Index(fields=["entity", "email"]),
                   models.Index(fields=["entity", "last_name", "id"], name="member_name_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.phone})".strip()


class CustomField(models.Model):
    """A member custom field. Values live in Member.custom_fields[name]; only TEXT fields can sync to ActionKit."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes/No"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="member_custom_fields")
    name = models.SlugField(max_length=100, help_text="Key in Member.custom_fields, e.g. favorite_issue.")
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "name"], name="customfield_unique_name")]
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Group(models.Model):
    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary"
        PAGE = "page", "Page"
        ACTIONFIELD = "actionfield", "ActionField"
        USERGROUP = "usergroup", "Usergroup"
        MANUAL = "manual", "Manual"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="member_groups")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    members = models.ManyToManyField(Member, through="GroupMembership", related_name="groups")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["entity", "kind"]), models.Index(fields=["entity", "name"])]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="group_memberships")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "member"], name="groupmembership_unique")]


class FieldMapping(models.Model):
    """One Strive member field synced with one ActionKit field, with a sync option (strive.syncrules.SyncOption)."""

    CORE_FIELDS = ("first_name", "last_name", "email", "city", "state", "zip")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="strive_field_mappings")
    member_field = models.CharField(max_length=100, help_text="A core field name, or the name of a custom text field.")
    ak_field = models.CharField(max_length=100, help_text="An ActionKit core field, or a userfield name.")
    is_core = models.BooleanField(default=False)
    sync_option = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "member_field"], name="fieldmapping_unique_member_field"),
            models.UniqueConstraint(fields=["connection", "ak_field"], name="fieldmapping_unique_ak_field"),
        ]
        ordering = ["-is_core", "id"]


class MemberLink(models.Model):
    """A member synced with exactly one ActionKit user. `last_synced` holds the values both sides last agreed on."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="strive_member_links",
                                   db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="ak_links")
    ak_user_id = models.BigIntegerField()
    ak_email = models.CharField(max_length=254, blank=True, help_text="ActionKit's key for the user; never changed by us.")
    last_synced = models.JSONField(default=dict, blank=True)
    last_hash = models.CharField(max_length=64, blank=True)
    linked_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "member"], name="memberlink_unique_member"),
            models.UniqueConstraint(fields=["connection", "ak_user_id"], name="memberlink_unique_ak_user"),
        ]


class ScannedUser(models.Model):
    """Every ActionKit user a poll has read, with the last snapshot we saw and the outcome of its sync."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not yet synced"
        SYNCED = "synced", "Synced"
        SKIPPED = "skipped", "Skipped"
        ERROR = "error", "Error"

    # No single-column index: the unique (connection, ak_user_id) index serves it. With one, PostgreSQL picks it for
    # "connection = X AND ak_user_id IN (...)" whenever its statistics predate a new tenant's first sync, and then
    # reads every row of the connection per page (7 ms a page at 30k users, growing with the table).
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="strive_scanned_users",
                                   db_index=False)
    ak_user_id = models.BigIntegerField()
    email = models.CharField(max_length=254, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="The E.164 phone chosen by the phone-type order.")
    phones = models.JSONField(default=dict, blank=True, help_text="ActionKit phone id -> [type, E.164 or raw].")
    snapshot = models.JSONField(default=dict, blank=True, help_text="Core fields and userfields as last read.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ak_updated_at = models.DateTimeField(null=True, blank=True)
    scanned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "ak_user_id"], name="scanneduser_unique_user")]
        indexes = [
            models.Index(fields=["connection", "status", "ak_user_id"], name="scanneduser_status_idx"),
            models.Index(fields=["connection", "phone"], name="scanneduser_phone_idx"),
            models.Index(fields=["connection", "email"], name="scanneduser_email_idx"),
        ]
