"""Members and groups over the API: per-entity API keys (the default authenticator); `request.user.entity` scopes
every read and write, so another entity's member is a 404. Bad input is a 400 naming each field, never a 500."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.ids import MAX_ID, id_from_text
from strive import selectors
from strive import serializers as s
from strive.models import Group, Member
from strive.services.groups import GroupSyncOwned, group_add_member, group_create
from strive.services.members import MemberInput, MemberInvalid, member_update, member_upsert

ERRORS = {400: OpenApiResponse(s.ErrorSerializer, description="Invalid input; `errors` names each field."),
          401: OpenApiResponse(s.ErrorSerializer, description="Missing, invalid or revoked API key."),
          404: OpenApiResponse(s.ErrorSerializer, description="No such object in your entity.")}


def _query_params(request):
    """The query parameters, refusing a NUL byte in any: PostgreSQL cannot compare text holding one, so it would
    raise (a 500) instead of matching nothing."""
    bad = {name: ["Null characters are not allowed."]
           for name, values in request.query_params.lists() if any("\x00" in value for value in values)}
    if bad:
        raise ValidationError(bad)
    return request.query_params


def _id_param(params, name: str) -> int | None:
    """An id filter: absent or blank is no filter; anything but an id that can exist is a 400 naming it, not an
    unfiltered list (the old behaviour for "abc") nor a 500 ("²", or past the database's integer range)."""
    text = params.get(name, "").strip()
    if not text:
        return None
    value = id_from_text(text)
    if value is None:
        raise ValidationError({name: [f"Must be a positive whole number up to {MAX_ID}."]})
    return value


class MemberListView(generics.ListCreateAPIView):
    serializer_class = s.MemberSerializer

    def get_queryset(self):
        params = _query_params(self.request)
        return selectors.member_search(
            entity=self.request.user.entity, q=params.get("q", ""), source=params.get("source"),
            group_id=_id_param(params, "group"),
        ).prefetch_related("group_memberships").order_by("-id")

    @extend_schema(summary="List members", tags=["Members"], parameters=[
        OpenApiParameter("q", str, description="Search name, phone or email"),
        OpenApiParameter("source", str), OpenApiParameter("group", int)], responses={200: s.MemberSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Create a member, or update the one with this phone", tags=["Members"],
                   responses={201: s.MemberSerializer, 200: s.MemberSerializer, **ERRORS})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items()}
        try:
            member, created = member_upsert(entity=request.user.entity, data=MemberInput(**data), actor=None)
        except MemberInvalid as exc:
            return Response({"detail": "Invalid input.", "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(s.MemberSerializer(member).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MemberDetailView(generics.RetrieveUpdateAPIView):
    serializer_class = s.MemberUpdateSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return Member.objects.filter(entity=self.request.user.entity)

    @extend_schema(summary="Change a member (never its phone); synced fields are pushed to ActionKit", tags=["Members"],
                   responses={200: s.MemberSerializer, **ERRORS})
    def patch(self, request, *args, **kwargs):
        member = self.get_object()
        serializer = self.get_serializer(member, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        member_update(member=member, changes=dict(serializer.validated_data), actor=None)
        return Response(s.MemberSerializer(member).data)

    @extend_schema(summary="One member", tags=["Members"], responses={200: s.MemberSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        return Response(s.MemberSerializer(self.get_object()).data)


class GroupListView(generics.ListCreateAPIView):
    serializer_class = s.GroupSerializer

    def get_queryset(self):
        return Group.objects.filter(entity=self.request.user.entity).annotate(member_count=Count("memberships")).order_by("name")

    def perform_create(self, serializer):
        serializer.instance = group_create(entity=self.request.user.entity, name=serializer.validated_data["name"])
        serializer.instance.member_count = 0

    @extend_schema(summary="List groups", tags=["Groups"], responses={200: s.GroupSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Create a manual group", tags=["Groups"], responses={201: s.GroupSerializer, **ERRORS})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class GroupMemberView(APIView):
    @extend_schema(summary="Add a member to a group (the primary group may create the ActionKit user)",
                   tags=["Groups"], request=s.GroupMemberSerializer,
                   responses={201: s.MemberSerializer, 200: s.MemberSerializer, **ERRORS})
    def post(self, request, group_id: int):
        group = get_object_or_404(Group, pk=group_id, entity=request.user.entity)
        body = s.GroupMemberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = get_object_or_404(Member, pk=body.validated_data["member_id"], entity=request.user.entity)
        try:
            _, created = group_add_member(group=group, member=member)
        except GroupSyncOwned as exc:
            raise ValidationError({"group": [str(exc)]}) from exc
        member.refresh_from_db()
        return Response(s.MemberSerializer(member).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
