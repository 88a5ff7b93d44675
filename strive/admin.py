"""Read-mostly admin for support staff; writes go through the pages and services."""

from django.contrib import admin

from strive.models import CustomField, FieldMapping, Group, Member, MemberLink, ScannedUser


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("phone", "first_name", "last_name", "email", "sms_opt_in", "source", "entity", "ak_sync_error")
    list_filter = ("sms_opt_in", "source")
    search_fields = ("phone", "email", "first_name", "last_name")
    readonly_fields = ("entity", "phone", "created_at", "updated_at")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "entity", "created_at")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(MemberLink)
class MemberLinkAdmin(admin.ModelAdmin):
    list_display = ("member", "ak_user_id", "ak_email", "connection", "updated_at")
    search_fields = ("ak_email", "=ak_user_id")
    readonly_fields = [f.name for f in MemberLink._meta.fields]


@admin.register(ScannedUser)
class ScannedUserAdmin(admin.ModelAdmin):
    list_display = ("ak_user_id", "email", "phone", "status", "reason", "scanned_at")
    list_filter = ("status",)
    search_fields = ("email", "phone", "=ak_user_id")
    readonly_fields = [f.name for f in ScannedUser._meta.fields]


admin.site.register(FieldMapping)
admin.site.register(CustomField)
