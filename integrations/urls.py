from django.urls import path

from integrations import views

app_name = "integrations"

# Mounted under e/<entity_slug>/ ; every view resolves the entity through the user's membership.
urlpatterns = [
    path("integrations/", views.hub, name="hub"),
    path("team/", views.team, name="team"),
    path("team/<int:membership_id>/", views.team_update, name="team-update"),
    path("activity/", views.activity, name="activity"),
    path("api-keys/", views.api_keys_page, name="api-keys"),
    path("api-keys/<int:credential_id>/<str:action>/", views.api_key_action, name="api-key-action"),
]
