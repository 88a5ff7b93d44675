# Scaffolding until the strive pages land: the hub links to these names.
from django.urls import path

from integrations.views import hub

app_name = "strive"

urlpatterns = [
    path("connect/", hub, name="connect"),
    path("details/", hub, name="detail"),
    path("members/", hub, name="members"),
    path("groups/", hub, name="groups"),
]
