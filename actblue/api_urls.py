"""Mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from actblue import api

app_name = "actblue-api"

urlpatterns = [
    path("actblue/contributions/", api.ContributionView.as_view(), name="contributions"),
    path("actblue/refunds/", api.RefundView.as_view(), name="refunds"),
    path("actblue/cancellations/", api.CancellationView.as_view(), name="cancellations"),
    path("actblue/notifications/", api.NotificationView.as_view(), name="notifications"),
]
