# Scaffolding until the actblue pages land: the hub links to these names.
from django.urls import path

from integrations.views import hub

app_name = "actblue"

urlpatterns = [
    path("connect/", hub, name="connect"),
    path("details/", hub, name="detail"),
    path("contributions/", hub, name="contributions"),
]
