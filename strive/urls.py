from django.urls import path

from actionkit.routes import connection_routes
from strive.kind import KIND
from strive.views import connect, detail, fields, groups, members, pushes, settings, users

app_name = "strive"

urlpatterns = [
    *connection_routes(kind=KIND, connect=connect.connect, detail=detail.overview),
    path("details/progress.json", detail.progress_json, name="progress"),
    path("details/fields/", fields.fields_tab, name="fields"),
    path("details/fields/<int:mapping_id>/option/", fields.field_option, name="field-option"),
    path("details/fields/<int:mapping_id>/remove/", fields.field_remove, name="field-remove"),
    path("details/settings/", settings.settings_tab, name="settings"),
    path("details/settings/sync/", settings.sync_toggle, name="sync-toggle"),
    path("details/users/", users.users_tab, name="users"),
    path("members/", members.member_list, name="members"),
    path("members/add/", members.member_add, name="member-add"),
    path("members/import/", members.member_import, name="member-import"),
    path("members/custom-fields/", members.custom_fields, name="custom-fields"),
    path("members/<int:member_id>/", members.member_detail, name="member"),
    path("members/<int:member_id>/pushes/<int:delivery_id>/retry/", pushes.member_push_retry, name="member-push-retry"),
    path("groups/", groups.group_list, name="groups"),
    path("groups/<int:group_id>/delete/", groups.group_delete_view, name="group-delete"),
]
