"""SMS members (keyed by phone), their groups, and the ActionKit member sync state."""

from django.db import models
from django.utils import timezone

from integrations.models import Connection, Entity


class Member(models.Model):
    class OptIn(models.TextChoices):
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"
        UNKNOWN = "unknown", "Unknown"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="members")
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
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "phone"], name="member_unique_entity_phone")]
        indexes = [models.Index(fields=["entity", "source"]), models.Index(fields=["entity", "email"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.phone})".strip()


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
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="group_memberships")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "member"], name="groupmembership_unique")]
