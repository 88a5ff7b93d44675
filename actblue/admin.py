"""Read-mostly admin for the ledger; changes go through the services and pages."""

from django.contrib import admin

from actblue.models import ActBlueEntityLink, Cancellation, Contribution, Form, LineItem, Refund


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActBlueEntityLink)
class ActBlueEntityLinkAdmin(admin.ModelAdmin):
    """Editable: operators record which ActBlue entityId a hub entity is."""

    list_display = ("entity", "actblue_entity_id", "committee_name")
    search_fields = ("entity__name", "actblue_entity_id", "committee_name")


@admin.register(Form)
class FormAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "owner", "managing_entity")
    search_fields = ("name",)


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ("order_number", "entity", "form", "created_at_ab", "is_recurring")
    search_fields = ("order_number",)


@admin.register(LineItem)
class LineItemAdmin(ReadOnlyAdmin):
    list_display = ("lineitem_id", "contribution", "recipient", "amount", "paid_at")
    search_fields = ("=lineitem_id",)
    list_select_related = ("contribution", "recipient")


admin.site.register(Refund, ReadOnlyAdmin)
admin.site.register(Cancellation, ReadOnlyAdmin)
