"""Mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from strive import api

app_name = "strive-api"

urlpatterns = [
    path("members/", api.MemberListView.as_view(), name="members"),
    path("members/<int:pk>/", api.MemberDetailView.as_view(), name="member"),
    path("groups/", api.GroupListView.as_view(), name="groups"),
    path("groups/<int:group_id>/members/", api.GroupMemberView.as_view(), name="group-members"),
]
