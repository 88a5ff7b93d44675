from django.urls import path

from actblue.views import backfill as views_backfill
from actblue.views import connection as views
from actblue.views import ledger as views_ledger

app_name = "actblue"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("details/", views.detail, name="detail"),
    path("settings/", views.settings_page, name="settings"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("identity/", views.identity, name="identity"),
    path("webhook/credentials/", views.webhook_credentials, name="webhook-credentials"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry_view, name="delivery-retry"),
    path("backfill/", views_backfill.backfill_page, name="backfill"),
    path("backfill/<int:backfill_id>/progress/", views_backfill.backfill_progress_json, name="backfill-progress"),
    path("backfill/<int:backfill_id>/cancel/", views_backfill.backfill_cancel_view, name="backfill-cancel"),
    path("contributions/", views_ledger.contributions, name="contributions"),
    path("contributions/import/", views_ledger.contributions_import, name="import"),
]
