from django.urls import path

from actblue.kind import KIND
from actblue.views import backfill, connection, ledger, profile
from actionkit.routes import connection_routes

app_name = "actblue"

urlpatterns = [
    *connection_routes(kind=KIND, connect=connection.connect, detail=connection.detail),
    path("settings/", connection.settings_page, name="settings"),
    path("disconnect/", connection.disconnect, name="disconnect"),
    path("identity/", profile.identity, name="identity"),
    path("webhook/credentials/", profile.webhook_credentials, name="webhook-credentials"),
    path("deliveries/<int:delivery_id>/retry/", connection.delivery_retry_view, name="delivery-retry"),
    path("backfill/", backfill.backfill_page, name="backfill"),
    path("backfill/<int:backfill_id>/progress/", backfill.backfill_progress_json, name="backfill-progress"),
    path("backfill/<int:backfill_id>/cancel/", backfill.backfill_cancel_view, name="backfill-cancel"),
    path("contributions/", ledger.contributions, name="contributions"),
    path("contributions/import/", ledger.contributions_import, name="import"),
]
