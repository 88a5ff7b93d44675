"""The project's URLconf with the toy kind's pages mounted as a real kind's are in config/urls.py."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("e/<slug:entity_slug>/toy/", include("tests.toykind.urls")), *project_urlpatterns]
