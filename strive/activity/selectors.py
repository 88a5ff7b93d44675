"""Reads for the activity pages, always scoped to an entity's ActionKit connection."""

from django.db.models import Count, Q, QuerySet

from integrations.ids import id_from_text
from integrations.models import Connection, Entity
from strive.activity.models import Action, ActionFieldGroup, ActionFieldName, OutboxMessage, Page, Usergroup

PAGE_SIZE = 50


def keyset(qs: QuerySet, *, before: str | None, size: int = PAGE_SIZE) -> tuple[list, int | None]:
    """Newest first by id; `before` is the last id of the previous page. Returns (rows, next before id)."""
    before_id = id_from_text(before or "")  # Anything else ("²", past the id range) is the first page.
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.order_by("-pk")[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def page_list(*, connection: Connection, q: str = "", synced: str = "") -> QuerySet:
    qs = Page.objects.filter(connection=connection).select_related("group")
    if "\x00" in q:
        return qs.none()  # No stored text holds a NUL (PostgreSQL cannot), and comparing with one raises there.
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(title__icontains=q) | Q(type__icontains=q))
    if synced in ("yes", "no"):
        qs = qs.filter(synced=synced == "yes")
    return qs


def action_list(*, connection: Connection, q: str = "", page_id: str = "") -> QuerySet:
    qs = Action.objects.filter(connection=connection, page__synced=True).select_related("page", "member")
    if "\x00" in q:
        return qs.none()  # As in page_list.
    if page_pk := id_from_text(page_id):
        qs = qs.filter(page_id=page_pk)
    if q:
        qs = qs.filter(Q(search_text__contains=q.casefold()) | Q(member__first_name__icontains=q)
                       | Q(member__last_name__icontains=q) | Q(member__phone__contains=q))
    return qs


def field_name_choices(*, connection: Connection) -> list[str]:
    rows = ActionFieldName.objects.filter(page__connection=connection, page__synced=True)
    return sorted(set(rows.values_list("name", flat=True)))


def actionfield_group_list(*, connection: Connection) -> QuerySet:
    return (ActionFieldGroup.objects.filter(connection=connection).select_related("group", "page")
            .annotate(size=Count("group__memberships")).order_by("group__name"))


def usergroup_list(*, connection: Connection) -> QuerySet:
    return (Usergroup.objects.filter(connection=connection).select_related("group")
            .annotate(size=Count("group__memberships")).order_by("gone", "name"))


def outbox_list(*, entity: Entity) -> QuerySet:
    return OutboxMessage.objects.filter(entity=entity).select_related("member", "run__automation__page")

