from django.urls import path

from integrations import views, views_imports, views_team

app_name = "integrations"

# Mounted under e/<entity_slug>/ ; every view resolves the entity through the user's membership.
urlpatterns = [
    path("integrations/", views.hub, name="hub"),
    path("team/", views_team.team, name="team"),
    path("team/<int:membership_id>/", views_team.team_update, name="team-update"),
    path("team/<int:membership_id>/remove/", views_team.team_remove, name="team-remove"),
    path("team/invitations/<int:invitation_id>/<str:action>/", views_team.invitation_action, name="invitation-action"),
    path("team/security/", views_team.team_security, name="team-security"),
    path("you/", views_team.membership, name="membership"),
    path("activity/", views.activity, name="activity"),
    path("api-keys/", views.api_keys_page, name="api-keys"),
    path("api-keys/<int:credential_id>/<str:action>/", views.api_key_action, name="api-key-action"),
    path("imports/<int:job_id>/", views_imports.import_job_page, name="import-job"),
    path("imports/<int:job_id>/progress/", views_imports.import_job_progress_json, name="import-job-progress"),
    path("imports/<int:job_id>/errors.csv", views_imports.import_job_errors_csv, name="import-job-errors"),
    path("imports/<int:job_id>/cancel/", views_imports.import_job_cancel_view, name="import-job-cancel"),
]
