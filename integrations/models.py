"""The hub: tenants, memberships, connections, the delivery outbox, backfills, cursors, leases and the audit log.

No vendor is named here. Integration apps register a kind in integrations.registry and store their
settings in Connection.config (shown on pages) and Connection.secrets (encrypted, never shown).
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.crypto import EncryptedJSONField


def acting_user(**options) -> models.ForeignKey:
    """Who did something (made, invited, accepted, connected): deleting the user keeps the row, and a user has no
    reverse accessor for it (related_name "+")."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", **options)


class Entity(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    paused = models.BooleanField(default=False, help_text="Operators pause a tenant: nothing is sent or polled.")
    require_mfa = models.BooleanField(default=False, help_text="Members must sign in with an authenticator app (TOTP).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Entity admin"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    can_manage_integrations = models.BooleanField(default=False, help_text="The Integrations permission.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "entity"], name="membership_unique_user_entity")]

    @property
    def may_manage_integrations(self) -> bool:
        return self.role == self.Role.ADMIN or self.can_manage_integrations


class Invitation(models.Model):
    """An emailed offer to join an entity. Only a SHA-256 hash of the link's token is stored, as for API keys.

    It is open until accepted, revoked or expired; re-inviting the address replaces the token and the expiry.
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(help_text="Stored lower-case.")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.STAFF)
    can_manage_integrations = models.BooleanField(default=False, help_text="The Integrations permission.")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = acting_user()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = acting_user()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "email"], name="invitation_unique_pending_email",
                                               condition=Q(accepted_at__isnull=True, revoked_at__isnull=True))]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.entity_id}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Connection(models.Model):
    """One integration of one entity. Disconnecting keeps the row, so reconnecting resumes its ledger."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        ERROR = "error", "Connection error"
        DISCONNECTED = "disconnected", "Not connected"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=40)
    host = models.CharField(max_length=255, help_text="The remote hostname, e.g. yourorg.actionkit.com")
    config = models.JSONField(default=dict, blank=True)
    secrets = EncryptedJSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONNECTED)
    status_reason = models.TextField(blank=True)
    halted = models.BooleanField(default=False, help_text="Credentials were refused: nothing is sent until fixed.")
    records_per_minute = models.PositiveIntegerField(default=0, help_text="0 means the site default.")
    consecutive_failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = acting_user()
    created_at = models.DateTimeField(default=timezone.now)
    connected_at = models.DateTimeField(default=timezone.now)
    connected_by = acting_user(help_text="Who connected or reconnected it last.")
    disconnected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "kind"], name="connection_unique_entity_kind")]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.entity_id}"

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.DISCONNECTED

    @property
    def budget_per_minute(self) -> int:
        return self.records_per_minute or settings.ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE


class Backfill(models.Model):
    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="backfills")
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNING)
    cursor = models.BigIntegerField(default=0, help_text="Last source id planned; planning resumes after it.")
    planned = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of its planner or pump.")
    created_by = acting_user()
    created_at = models.DateTimeField(default=timezone.now)
    planned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["connection", "-created_at"])]


class Delivery(models.Model):
    """One event for one connection: the outbox row. `key` makes a second enqueue of the same event a no-op."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        FAILED = "failed", "Failed, will retry"
        SUCCEEDED = "succeeded", "Delivered"
        DEAD = "dead", "Failed permanently"
        CANCELLED = "cancelled", "Cancelled"

    class Lane(models.TextChoices):
        LIVE = "live", "Live"
        BACKFILL = "backfill", "Backfill"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="deliveries")
    key = models.CharField(max_length=200)
    event_type = models.CharField(max_length=40)
    source_id = models.BigIntegerField(null=True, blank=True, help_text="Id of the row this event came from.")
    lane = models.CharField(max_length=10, choices=Lane.choices, default=Lane.LIVE)
    payload = models.JSONField(default=dict)
    options = models.JSONField(default=dict, blank=True)
    depends_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    backfill = models.ForeignKey(Backfill, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="When a send task was last queued for it.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    remote_ref = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "key"], name="delivery_unique_connection_key")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["connection", "-id"], name="delivery_recent_idx"),
            models.Index(fields=["connection", "status"], name="delivery_conn_status_idx"),
            models.Index(fields=["backfill", "status"], name="delivery_backfill_idx"),
            # The send scheduler's claims and "has due rows?" probes: a connection's open rows of one lane in id
            # order, so a 100,000-row backfill is not scanned to find the connection's few live rows.
            models.Index(fields=["connection", "lane", "id"], condition=models.Q(status__in=["pending", "failed"]),
                         name="delivery_open_lane_idx"),
        ]

    DUE = (Status.PENDING, Status.FAILED)
    OPEN = (Status.PENDING, Status.FAILED, Status.SENDING)


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_set")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=12)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True, help_text="Scrubbed, truncated response excerpt or error message.")

    class Meta:
        indexes = [models.Index(fields=["delivery", "-id"])]


class SyncCursor(models.Model):
    """Where a poll of one stream of one connection got to; moved in the same transaction as the rows it made."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=40)
    position = models.DateTimeField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)
    last_run_started_at = models.DateTimeField(null=True, blank=True)
    last_run_finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "stream"], name="cursor_unique_connection_stream")]


class Lease(models.Model):
    """A named lock with an expiry, held in the database so it works on SQLite and PostgreSQL alike."""

    name = models.CharField(max_length=200, unique=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()


class AuditEvent(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="audit_events")
    actor = acting_user()
    action = models.CharField(max_length=80)
    target = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["entity", "-id"])]


class ApiCredential(models.Model):
    """A per-entity API key. Only a SHA-256 hash is stored; the key is shown once, when it is made."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="api_credentials")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = acting_user()
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "name"], condition=Q(revoked_at__isnull=True), name="apicredential_unique_live_name")]


class ImportJob(models.Model):
    """One uploaded file imported in the background, slice by slice, by its kind's `import_rows` hook.

    The file lives in `content` (UTF-8 bytes; bytes, so a NUL in a data row reaches the kind's row checks on
    PostgreSQL too), so any worker on any host can run the next slice. `cursor` is the character offset of the next
    unread record and `cursor_line` the file lines before it, so row numbers in `errors` are the file's own.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.QUEUED, Status.RUNNING)

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=40, help_text="The registered kind whose import_rows hook reads the rows.")
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    params = models.JSONField(default=dict, blank=True, help_text="What the kind needs, e.g. the export type.")
    created_by = acting_user()
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows read so far: recorded, already recorded or bad.")
    rows_recorded = models.PositiveIntegerField(default=0)
    rows_existing = models.PositiveIntegerField(default=0, help_text="Rows already recorded before this import.")
    rows_failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, message}], the first IMPORT_MAX_ERRORS.")
    cursor = models.PositiveBigIntegerField(default=0)
    cursor_line = models.PositiveIntegerField(default=0)
    rate = models.FloatField(default=0.0, help_text="Rows per second, smoothed over slices' chunks.")
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["entity", "kind", "-id"], name="importjob_recent_idx"),
                   models.Index(fields=["status", "heartbeat_at"], name="importjob_open_idx")]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name}"
