"""Read-mostly admin: operators look at pages, actions, webhook bodies and the outbox; changes go through the UI."""

from django.contrib import admin

from strive.activity.models import Action, Automation, OutboxMessage, Page, Usergroup, WebhookEvent


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Page)
class PageAdmin(ReadOnly):
    list_display = ("name", "title", "type", "synced", "import_status", "connection")
    list_filter = ("synced", "type")
    search_fields = ("name", "title")


@admin.register(Action)
class ActionAdmin(ReadOnly):
    list_display = ("ak_id", "page", "ak_user_id", "member", "source", "processed_at", "outcome")
    list_filter = ("source",)
    search_fields = ("=ak_id", "=ak_user_id")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnly):
    list_display = ("ak_action_id", "connection", "received_at", "processed_at", "outcome")
    exclude = ("payload",)  # People's details: the action itself is on the Action row.


@admin.register(Usergroup)
class UsergroupAdmin(ReadOnly):
    list_display = ("name", "ak_id", "synced", "gone", "ak_user_count", "refreshed_at")


@admin.register(Automation)
class AutomationAdmin(ReadOnly):
    list_display = ("page", "enabled", "updated_at")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnly):
    list_display = ("created_at", "entity", "status", "backend", "provider_ref")
    exclude = ("to_phone", "body")
