from django.urls import path

from strive.activity.views.hooks import page_action_hook

app_name = "strive_activity_hooks"

urlpatterns = [
    path("pages/<int:connection_id>/<str:token>/", page_action_hook, name="page-action"),
]
