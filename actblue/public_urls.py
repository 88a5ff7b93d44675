"""Mounted at /hooks/actblue/ (config/urls.py): no session, no entity in the path; the token and Basic auth decide."""

from django.urls import path

from actblue.views.webhook import ActBlueWebhookView

app_name = "actblue-hooks"

urlpatterns = [
    path("<str:token>/", ActBlueWebhookView.as_view(), name="webhook"),
]
