from django.urls import path

from integrations import views, views_team

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
]
