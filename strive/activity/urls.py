from django.urls import path

from strive.activity import views

app_name = "strive_activity"

urlpatterns = [
    path("pages/", views.pages_page, name="pages"),
    path("pages/<int:page_id>/<str:action>/", views.page_action, name="page-action"),
    path("pages/<int:page_id>/automation", views.page_automation, name="page-automation"),
    path("actions/", views.actions_page, name="actions"),
    path("actionfield-groups/", views.actionfield_groups, name="actionfield-groups"),
    path("actionfield-groups/<int:rule_id>/delete/", views.actionfield_group_delete_view,
         name="actionfield-group-delete"),
    path("usergroups/", views.usergroups_page, name="usergroups"),
    path("usergroups/<int:usergroup_id>/<str:action>/", views.usergroup_action, name="usergroup-action"),
    path("outbox/", views.outbox_page, name="outbox"),
    path("settings/", views.settings_page, name="settings"),
    path("groups/", views.groups_moved, name="groups"),  # Moved to strive:groups; kept so old links still work.
]
