"""Sync a batch of ActionKit users with members: eligibility, matching by phone, field rules, pushes back.

One batch is ~100 users and costs a fixed handful of queries (everything is loaded and written in bulk), which is
what keeps a poll above 1,000 users/s. Callers run it inside the transaction that also moves the poll cursor.
member_push_changes runs the same field rules for one member changed on our side, and queues what ActionKit missed.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from strive.models import Group, Member, MemberLink, ScannedUser
from strive.phones import phone_pick
from strive.services.config import SyncSettings, connection_for_entity, sync_settings
from strive.services.fields import Mapping, mappings_for
from strive.services.groups import group_add_members_bulk
from strive.services.pushes import PushPlan, member_create_follow_up, pushes_enqueue
from strive.services.reconcile import reconcile
from strive.services.upserts import scanned_users_upsert
from strive.services.values import user_snapshot
from strive.syncrules import ineligible_reason

SOURCE = "actionkit"


@dataclass
class BatchResult:
    synced: int = 0
    skipped: int = 0
    errors: int = 0
    pushes: int = 0
    member_ids: dict[int, int] = field(default_factory=dict)  # ak_user_id -> member id, for synced users.


@dataclass
class _Batch:
    connection: object
    settings: SyncSettings
    mappings: list[Mapping]
    scanned: dict[int, ScannedUser]
    links: dict[int, MemberLink]
    members_by_phone: dict[str, Member]
    linked_member_ids: set[int]
    claimed_phones: set[str] = field(default_factory=set)
    new_members: list[tuple[int, Member]] = field(default_factory=list)
    changed_members: dict[int, Member] = field(default_factory=dict)
    new_links: list[MemberLink] = field(default_factory=list)
    changed_links: list[MemberLink] = field(default_factory=list)
    pushes: list[PushPlan] = field(default_factory=list)


def ak_time(value) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)  # ActionKit sends naive UTC.
    return parsed


@transaction.atomic
def users_sync_batch(*, connection, users: list[dict], phones: dict[int, list[dict]] | None = None) -> BatchResult:
    """Sync these users. `phones` (ak user id -> [{type, phone}]) overrides the phones stored from the phone poll."""
    batch = batch_for_connection(connection)
    ids = [int(u["id"]) for u in users]
    batch.scanned = {s.ak_user_id: s for s in ScannedUser.objects.filter(connection=connection, ak_user_id__in=ids)}
    batch.links = {link.ak_user_id: link for link in
                   MemberLink.objects.filter(connection=connection, ak_user_id__in=ids).select_related("member")}
    work = []
    for user in users:
        uid = int(user["id"])
        row = batch.scanned.get(uid) or ScannedUser(connection=connection, ak_user_id=uid, phones={})
        if phones is not None and uid in phones:
            row.phones = {str(p.get("id") or i): [p.get("type") or "", p.get("phone") or p.get("normalized_phone") or ""]
                          for i, p in enumerate(phones[uid])}
        work.append((user, row, phone_pick(_stored_phones(row), batch.settings.phone_types)))
    _load_members(batch, {phone for _, _, phone in work if phone})
    for user, row, phone in work:
        try:
            _sync_user(batch, user, row, phone)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:  # Malformed data; the rest still syncs.
            row.status = ScannedUser.Status.ERROR
            row.reason = f"Could not read this user: {type(exc).__name__}: {exc}"[:300]
    rows = [row for _, row, _ in work]
    _save(batch, rows)
    return _result(batch, rows)


def batch_for_connection(connection) -> "_Batch":
    return _Batch(connection, sync_settings(connection), mappings_for(connection), {}, {}, {}, set())


def _result(batch: "_Batch", rows: list[ScannedUser]) -> BatchResult:
    result = BatchResult(pushes=len(batch.pushes))
    for row in rows:
        counter = {"synced": "synced", "skipped": "skipped", "error": "errors"}.get(row.status)
        if counter:
            setattr(result, counter, getattr(result, counter) + 1)
        if row.status == ScannedUser.Status.SYNCED and row.member_id:
            result.member_ids[row.ak_user_id] = row.member_id
    return result


def _stored_phones(row: ScannedUser) -> list[dict]:
    return [{"type": kind, "phone": number} for kind, number in (row.phones or {}).values()]


def _load_members(batch: "_Batch", phones: set[str]) -> None:
    members = Member.objects.filter(entity_id=batch.connection.entity_id, phone__in=phones)
    batch.members_by_phone = {m.phone: m for m in members}
    batch.linked_member_ids = set(MemberLink.objects.filter(
        connection=batch.connection, member_id__in=[m.id for m in batch.members_by_phone.values()]
    ).values_list("member_id", flat=True))


def _sync_user(batch: _Batch, user: dict, row: ScannedUser, phone: str | None) -> None:
    snapshot = user_snapshot(user)
    row.email, row.first_name, row.last_name = snapshot["email"][:254], snapshot["first_name"][:100], snapshot["last_name"][:100]
    row.phone, row.snapshot, row.scanned_at = phone or "", snapshot, timezone.now()
    row.ak_updated_at = ak_time(user.get("updated_at")) or row.ak_updated_at
    opt_in_raw = snapshot["fields"].get(batch.settings.opt_in_field, "")
    reason = ineligible_reason(phone=phone, opt_in_raw=opt_in_raw)
    if reason:
        row.status, row.reason = ScannedUser.Status.SKIPPED, reason
        return
    link = batch.links.get(row.ak_user_id)
    member, first_sync = (link.member, False) if link else _match(batch, row, phone)
    if member is None:
        return
    plan = reconcile(batch=batch, member=member, link=link, snapshot=snapshot, ak_updated_at=row.ak_updated_at,
                     first_sync=first_sync, ak_user_id=row.ak_user_id)
    if plan.member_changed and member.pk:
        batch.changed_members[member.pk] = member
    link = _link_save(batch, link, member, row, plan)
    if plan.push is not None:
        batch.pushes.append(plan.push)
    row.status, row.reason, row.member = ScannedUser.Status.SYNCED, "", member if member.pk else None
    row._pending_member = member  # Resolved to an id after the new members are inserted.


def _match(batch: _Batch, row: ScannedUser, phone: str) -> tuple[Member | None, bool]:
    """Find the member with this phone, or make a new one. One user per member: a second user is skipped."""
    member = batch.members_by_phone.get(phone)
    taken = phone in batch.claimed_phones or (member is not None and member.pk in batch.linked_member_ids)
    if taken:
        row.status = ScannedUser.Status.SKIPPED
        row.reason = f"Duplicate phone {phone}: another ActionKit user already syncs with this member."
        return None, False
    batch.claimed_phones.add(phone)
    if member is None:
        member = Member(entity_id=batch.connection.entity_id, phone=phone, source=SOURCE)
        batch.new_members.append((row.ak_user_id, member))
        batch.members_by_phone[phone] = member
    return member, True


def _link_save(batch: _Batch, link, member, row, plan) -> MemberLink:
    if link is None:
        link = MemberLink(connection=batch.connection, member=member, ak_user_id=row.ak_user_id)
        batch.new_links.append(link)
    else:
        batch.changed_links.append(link)
    link.ak_email, link.last_synced, link.last_hash = row.email, plan.agreed, plan.ak_hash
    return link


def _save(batch: _Batch, rows: list[ScannedUser]) -> None:
    now = timezone.now()
    new = [member for _, member in batch.new_members]
    if new:
        for member in new:
            member.created_at = member.updated_at = now
        Member.objects.bulk_create(new, batch_size=500)
    changed = list(batch.changed_members.values())
    for member in changed:
        member.updated_at = now
    if changed:
        Member.objects.bulk_update(changed, ["email", "first_name", "last_name", "city", "state", "zip", "sms_opt_in",
                                             "custom_fields", "updated_at"], batch_size=500)
    for link in batch.new_links:
        link.member = link.member  # Re-assign the now-saved member: sets member_id and keeps the cached object.
    MemberLink.objects.bulk_create(batch.new_links, batch_size=500)
    if batch.changed_links:
        for link in batch.changed_links:
            link.updated_at = now
        MemberLink.objects.bulk_update(batch.changed_links, ["ak_email", "last_synced", "last_hash", "updated_at"])
    for row in rows:
        pending = getattr(row, "_pending_member", None)
        row.member_id = pending.pk if pending is not None else row.member_id
    scanned_users_upsert(rows)
    _primary_group_add(batch, [link.member_id for link in batch.new_links])
    pushes_enqueue(connection=batch.connection, plans=batch.pushes)


def _primary_group_add(batch: _Batch, member_ids: list[int]) -> None:
    group_id = batch.settings.primary_group_id
    group = Group.objects.filter(pk=group_id).first() if group_id else None
    if group is not None and member_ids:
        group_add_members_bulk(group=group, member_ids=member_ids)


def member_sync_from_ak_user(*, connection, user: dict, phones: list[dict]) -> Member | None:
    """Find or create the member for one ActionKit user (as a page action or usergroup brings in), syncing its
    fields; None when the user is not eligible (no phone, no opt-in, or a duplicate phone)."""
    uid = int(user["id"])
    result = users_sync_batch(connection=connection, users=[user], phones={uid: phones})
    member_id = result.member_ids.get(uid)
    return Member.objects.filter(pk=member_id).first() if member_id else None


@transaction.atomic
def member_push_changes(*, member: Member) -> bool:
    """After a change on our side: decide per field what ActionKit should get, and queue it. Returns True if queued."""
    connection = connection_for_entity(member.entity)
    if connection is None or not sync_settings(connection).active:
        return False
    link = MemberLink.objects.filter(connection=connection, member=member).first()
    if link is None:  # Not synced, or its ActionKit user is still being created (then the edit follows the create).
        return member_create_follow_up(connection=connection, member=member)
    scanned = ScannedUser.objects.filter(connection=connection, ak_user_id=link.ak_user_id).first()
    snapshot = scanned.snapshot if scanned and scanned.snapshot else {"fields": {}}
    plan = reconcile(batch=batch_for_connection(connection), member=member, link=link, snapshot={"fields": {}, **snapshot},
                     ak_updated_at=scanned.ak_updated_at if scanned else None, first_sync=False, strive_changed=True)
    link.last_synced, link.last_hash = plan.agreed, plan.ak_hash
    link.save(update_fields=["last_synced", "last_hash", "updated_at"])
    if plan.member_changed:  # ActionKit filled an empty field of ours; save without pushing again.
        Member.objects.filter(pk=member.pk).update(**{f: getattr(member, f) for f in (
            "email", "first_name", "last_name", "city", "state", "zip", "sms_opt_in", "custom_fields")})
    if plan.push is None:
        return False
    pushes_enqueue(connection=connection, plans=[plan.push])
    return True
