"""Reads for the member pages, always scoped to an entity or its connection."""

import re
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from actionkit import errors, factory
from actionkit.factory import planned_per_minute
from integrations.ids import id_from_text
from integrations.models import Delivery, SyncCursor
from strive import progress
from strive.kind import KIND
from strive.models import Group, Member, MemberLink, ScannedUser
from strive.phones import phone_to_e164
from strive.services.config import sync_settings
from strive.services.pushes import EVENT_CREATE, EVENT_UPDATE

USER_SORTS = {"id": "ak_user_id", "email": "email", "name": "last_name", "phone": "phone", "status": "status",
              "scanned": "scanned_at"}


def member_search(*, entity, q: str = "", source: str | None = None, group_id: int | None = None) -> QuerySet[Member]:
    rows = Member.objects.filter(entity=entity)
    if "\x00" in q or "\x00" in (source or ""):
        return rows.none()  # No stored text holds a NUL (PostgreSQL cannot), and comparing with one raises there.
    if source is not None:
        rows = rows.filter(source=source)
    if group_id:
        rows = rows.filter(group_memberships__group_id=group_id, group_memberships__group__entity=entity)
    q = q.strip()
    if q:
        match = Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q) | _phone_match(q)
        parts = q.split()
        if len(parts) == 2:
            match |= Q(first_name__iexact=parts[0], last_name__iexact=parts[1])
        rows = rows.filter(match)
    return rows


def _phone_match(q: str) -> Q:
    """A whole number in any format, or a run of its digits ("555-0101")."""
    phone = phone_to_e164(q)
    if phone:
        return Q(phone=phone)
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "")) - 3:  # Mostly digits: a partial number.
        return Q(phone__contains=digits)
    return Q(pk__in=[])


def keyset_page(rows: QuerySet, *, before: str | None, size: int = 50) -> tuple[list, int | None]:
    """Newest first by id; `before` is the last id of the previous page. Costs the same at any depth."""
    before_id = id_from_text(before or "")  # Anything else ("²", past the id range) is the first page.
    if before_id:
        rows = rows.filter(id__lt=before_id)
    page = list(rows.order_by("-id")[: size + 1])
    return page[:size], (page[size - 1].id if len(page) > size else None)


PUSH_EVENTS = (EVENT_CREATE, EVENT_UPDATE)


def member_pushes(*, entity) -> QuerySet[Delivery]:
    """Pushes of this entity's members to ActionKit (the outbox rows of its member sync); source_id is the member."""
    return Delivery.objects.filter(connection__entity=entity, connection__kind=KIND, event_type__in=PUSH_EVENTS)


def member_push_failures(*, entity, member_ids) -> dict[int, Delivery]:
    """{member id: its newest push that failed for good}: a change ActionKit never got, until someone retries it.

    A failed create stops counting once the member is linked to a user anyway (the sync matched one by phone)."""
    linked = MemberLink.objects.filter(connection__entity=entity, member_id__in=member_ids).values("member_id")
    rows = (member_pushes(entity=entity).filter(source_id__in=member_ids, status=Delivery.Status.DEAD)
            .exclude(event_type=EVENT_CREATE, source_id__in=linked)
            .only("id", "source_id", "event_type", "status", "last_error", "created_at").order_by("id"))
    failures: dict[int, Delivery] = {}
    for row in rows:  # In id order: each member keeps its newest, but a failed create stays (edits wait on it).
        current = failures.get(row.source_id)
        if current is None or current.event_type != EVENT_CREATE:
            failures[row.source_id] = row
    return failures


def member_push_failure_words(delivery: Delivery, member: Member) -> str:
    """What failed, in the words of the member page: what did not happen, and ActionKit's reason (without the raw
    body excerpt the outbox keeps for the Outbox tab)."""
    reason = re.split(r" [{<\[]", delivery.last_error or "", maxsplit=1)[0].strip()
    if delivery.event_type == EVENT_CREATE:
        return f"No ActionKit user was created for this member. {member.ak_sync_error or reason}".strip()
    return (f"This member's last change did not reach ActionKit, and it will not be tried again on its own. "
            f"ActionKit's answer: {reason or 'none'}")


def member_push_waiting(*, entity, member) -> Delivery | None:
    """The member's newest push not yet delivered (waiting, sending, or failed and to be tried again)."""
    return (member_pushes(entity=entity).filter(source_id=member.pk, status__in=Delivery.OPEN)
            .only("id", "status", "attempts", "next_attempt_at", "last_error").order_by("-id").first())


def member_sources(*, entity) -> list[str]:
    return list(Member.objects.filter(entity=entity).order_by("source").values_list("source", flat=True).distinct())


def group_list(*, entity) -> list[Group]:
    return list(Group.objects.filter(entity=entity).order_by("name"))


def group_list_sized(*, entity) -> QuerySet[Group]:
    """The Groups page's rows: each group with its member count as `size`, counted in this one query."""
    return (Group.objects.filter(entity=entity).select_related("connection")  # The primary group's rule reads it.
            .annotate(size=Count("memberships")).order_by("kind", "name"))


def scanned_user_search(*, connection, q: str = "", status: str = "", sort: str = "id") -> QuerySet[ScannedUser]:
    rows = ScannedUser.objects.filter(connection=connection).exclude(status=ScannedUser.Status.PENDING)
    if "\x00" in q:
        rows, q = rows.none(), ""  # As in member_search; still ordered below, for the Users tab's paginator.
    if status in ScannedUser.Status.values:
        rows = rows.filter(status=status)
    q = q.strip()
    if q:
        match = Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q) | _phone_match(q)
        if ak_user_id := id_from_text(q):
            match |= Q(ak_user_id=ak_user_id)
        rows = rows.filter(match)
    field = USER_SORTS.get(sort.lstrip("-"), "ak_user_id")
    descending = sort.startswith("-")
    return rows.order_by(("-" if descending else "") + field, ("-" if descending else "") + "id")


def sync_progress(*, connection) -> dict:
    """The initial sync's card: which step runs, its count of the total, and the time left at the ActionKit budget."""
    cursors = {c.stream: c for c in SyncCursor.objects.filter(connection=connection, stream__in=["users", "phones"])}
    users, phones = cursors.get("users"), cursors.get("phones")
    state = users.state if users else {}
    by_status = dict(ScannedUser.objects.filter(connection=connection).values_list("status").annotate(n=Count("id")))
    started = state.get("initial_started_at")
    counts = progress.SyncCounts(
        total=int(state.get("total") or 0), by_status={str(k): n for k, n in by_status.items()},
        started=bool(started), done=bool(state.get("initial_done")), paused=_paused(connection),
        reading_users=_users_step_started(users, phones),
        elapsed=(timezone.now() - datetime.fromisoformat(started)).total_seconds() if started else 0.0)
    return progress.sync_progress_words(counts, per_minute=planned_per_minute(connection.budget_per_minute))


def _paused(connection) -> str:
    if not sync_settings(connection).active:
        return "Sync Accounts is off"
    if connection.halted:
        return "ActionKit refused the credentials; reconnect to continue"
    if connection.entity.paused:
        return "your organization is paused"
    return ""


def initial_sync_done(*, connection) -> bool:
    users = SyncCursor.objects.filter(connection=connection, stream="users").only("state").first()
    return bool(users and users.state.get("initial_done"))


def _users_step_started(users: SyncCursor | None, phones: SyncCursor | None) -> bool:
    """Each run reads phones, then users: the users step has begun once the users stream started after the phones."""
    if users is None or users.last_run_started_at is None:
        return False
    return phones is None or phones.last_run_started_at is None or users.last_run_started_at >= phones.last_run_started_at


def allowed_userfields(*, connection) -> list[str]:
    """The instance's userfield names (cached five minutes); the last list we saw when ActionKit cannot be asked."""
    key = f"strive:userfields:{connection.pk}"
    names = cache.get(key)
    if names is not None:
        return names
    names = list(connection.config.get("allowed_userfields") or [])
    if connection.is_active and connection.secrets.get("password"):
        client = factory.client_for(connection)
        try:
            names = sorted(f["name"] for f in client.allowed_user_fields())
            cache.set(key, names, 300)
        except errors.ActionKitError:
            pass
        finally:
            client.close()
    return names
