from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from integrations import ops_views, views_team
from integrations import views as hub_views

# The admin's own login form would skip allauth: its rate limits and the second factor (TOTP). Send it to ours.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", hub_views.home, name="home"),
    # allauth at the root keeps /login/ and /logout/ where they were; it adds /signup/, /password/reset/, /2fa/ ...
    path("", include("allauth.urls")),
    path("invitations/<str:token>/", views_team.invitation_accept, name="invitation-accept"),
    path("healthz", hub_views.healthz, name="healthz"),
    path("readyz", hub_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("ops/connections/", ops_views.connections_in_error, name="ops-connections"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("actblue.api_urls")),
    path("api/v1/", include("strive.api_urls")),
    path("e/<slug:entity_slug>/", include("integrations.urls")),
    path("e/<slug:entity_slug>/actblue/", include("actblue.urls")),
    path("e/<slug:entity_slug>/strive/activity/", include("strive.activity.urls")),
    path("hooks/actionkit/", include("strive.activity.public_urls")),
    path("hooks/actblue/", include("actblue.public_urls")),
    path("e/<slug:entity_slug>/strive/", include("strive.urls")),
    path("", include("strive.public_urls")),
]
