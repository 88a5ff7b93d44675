"""Read-mostly admin for the ledger; changes go through the services and pages."""

from django.contrib import admin

from actblue.models import ActBlueProfile, Cancellation, Contribution, Form, LineItem, Refund


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActBlueProfile)
class ActBlueProfileAdmin(ReadOnlyAdmin):
    """Organizations set these on their Settings page; the webhook password digest is never shown."""

    list_display = ("entity", "entity_ids", "committee_name", "webhook_username", "webhook_last_received_at")
    exclude = ("webhook_password_digest", "webhook_token")
    search_fields = ("entity__name", "committee_name")


@admin.register(Form)
class FormAdmin(ReadOnlyAdmin):
    list_display = ("name", "entity", "kind", "managed")
    search_fields = ("name",)


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ("order_number", "entity", "form", "created_at_ab", "is_recurring")
    search_fields = ("order_number",)


@admin.register(LineItem)
class LineItemAdmin(ReadOnlyAdmin):
    list_display = ("lineitem_id", "entity", "contribution", "recipient_actblue_id", "amount", "paid_at")
    search_fields = ("=lineitem_id",)
    list_select_related = ("contribution", "entity")


admin.site.register(Refund, ReadOnlyAdmin)
admin.site.register(Cancellation, ReadOnlyAdmin)
