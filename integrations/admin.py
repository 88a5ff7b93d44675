"""Read-mostly admin for operators. Actions call the same services as the pages; secrets are never shown."""

from django.contrib import admin, messages

from integrations.models import (
    ApiCredential,
    AuditEvent,
    Backfill,
    Connection,
    Delivery,
    DeliveryAttempt,
    Entity,
    Membership,
)
from integrations.services.deliveries import delivery_retry
from integrations.services.tenancy import entity_set_paused


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "paused", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]
    actions = ["pause", "resume"]

    @admin.action(description="Pause: stop sending and polling for these tenants")
    def pause(self, request, queryset):
        for entity in queryset:
            entity_set_paused(entity=entity, paused=True, actor=request.user)
        messages.success(request, f"Paused {queryset.count()} entities.")

    @admin.action(description="Resume sending and polling")
    def resume(self, request, queryset):
        for entity in queryset:
            entity_set_paused(entity=entity, paused=False, actor=request.user)
        messages.success(request, f"Resumed {queryset.count()} entities.")


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["entity", "kind", "host", "status", "halted", "status_reason", "consecutive_failures", "last_success_at"]
    list_filter = ["kind", "status", "halted"]
    search_fields = ["entity__name", "host"]
    exclude = ["secrets"]  # Never shown, not even to operators.
    readonly_fields = ["entity", "kind", "created_by", "created_at", "connected_at", "disconnected_at", "first_failure_at",
                       "last_success_at", "consecutive_failures"]
    actions = ["retry_dead"]

    @admin.action(description="Retry all dead deliveries (same as manage.py deliveries_replay)")
    def retry_dead(self, request, queryset):
        count = 0
        for connection in queryset:
            for delivery in Delivery.objects.filter(connection=connection, status=Delivery.Status.DEAD).select_related(
                    "connection__entity").iterator(chunk_size=500):
                delivery_retry(delivery=delivery, actor=request.user)
                count += 1
        messages.success(request, f"Queued {count} dead deliveries to send again.")


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["started_at", "duration_ms", "outcome", "status_code", "detail"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "connection", "event_type", "lane", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "lane", "event_type"]
    search_fields = ["key"]
    raw_id_fields = ["connection", "depends_on", "backfill"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry"]
    show_full_result_count = False

    @admin.action(description="Retry now")
    def retry(self, request, queryset):
        count = 0
        for delivery in queryset.select_related("connection__entity"):
            delivery_retry(delivery=delivery, actor=request.user)
            count += 1
        messages.success(request, f"Queued {count} deliveries to send again.")


@admin.register(Backfill)
class BackfillAdmin(admin.ModelAdmin):
    list_display = ["id", "connection", "status", "planned", "succeeded", "failed", "created_at", "finished_at"]
    list_filter = ["status"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "entity", "actor", "action", "target"]
    list_filter = ["action"]
    readonly_fields = ["entity", "actor", "action", "target", "changes", "created_at"]


@admin.register(ApiCredential)
class ApiCredentialAdmin(admin.ModelAdmin):
    list_display = ["entity", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
