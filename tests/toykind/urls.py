from django.urls import path

from tests.toykind import views

app_name = "toykind"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("details/", views.detail, name="detail"),
    path("settings/", views.settings_page, name="settings"),
]
