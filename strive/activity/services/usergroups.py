"""Usergroups: the list refreshed every poll, and synced ones mirrored into a group of linked members."""

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from actionkit import compat, factory
from actionkit.errors import ActionKitForbidden
from actionkit.services import compat_forbidden_record, compat_result
from integrations.budget import OutOfTime, out_of_time
from integrations.models import Connection, SyncCursor
from integrations.services.audit import audit_record
from strive.activity.models import Usergroup
from strive.activity.services.effects import memberships_add
from strive.activity.services.groups import synced_off
from strive.activity.tasks import usergroup_refresh as usergroup_refresh_task
from strive.models import Group, GroupMembership, MemberLink

RESUME_WITHIN = timedelta(minutes=5)  # A hand-over marker older than this (its task was lost) is ignored.


def usergroups_refresh(*, connection: Connection, client, deadline: float | None = None) -> int:
    """Upsert every usergroup ActionKit lists, flag vanished ones, then bring synced groups up to date, the least
    recently refreshed first. Raises OutOfTime between two groups after `deadline` (time.monotonic())."""
    rows = list(client.usergroups())
    seen = {int(r["id"]): str(r.get("name") or "")[:255] for r in rows if r.get("id") is not None}
    with transaction.atomic():
        existing = {u.ak_id: u for u in Usergroup.objects.filter(connection=connection)}
        Usergroup.objects.bulk_create([Usergroup(connection=connection, ak_id=i, name=n)
                                       for i, n in seen.items() if i not in existing], ignore_conflicts=True)
        for ak_id, usergroup in existing.items():
            usergroup.name, usergroup.gone = seen.get(ak_id, usergroup.name), ak_id not in seen
        Usergroup.objects.bulk_update(existing.values(), ["name", "gone"])
    cursor, _ = SyncCursor.objects.get_or_create(connection=connection, stream="usergroups")
    marker = cursor.state.get("resume")
    fresh = marker and timezone.now() - datetime.fromisoformat(marker["at"]) < RESUME_WITHIN
    started = datetime.fromisoformat(marker["since"]) if fresh else timezone.now()
    synced = (Usergroup.objects.filter(connection=connection, synced=True, gone=False).select_related("connection")
              .order_by("refreshed_at", "pk"))
    if fresh:  # The continuation of a poll that ran out of time: the groups it refreshed are done.
        synced = synced.exclude(refreshed_at__gte=started)
    for index, usergroup in enumerate(synced):
        if index and out_of_time(deadline):  # At least one group per task: always progress.
            marker = {"since": started.isoformat(), "at": timezone.now().isoformat()}
            SyncCursor.objects.filter(pk=cursor.pk).update(state={**cursor.state, "resume": marker})
            raise OutOfTime
        usergroup_members_refresh(usergroup=usergroup, client=client)
    if marker:
        SyncCursor.objects.filter(pk=cursor.pk).update(
            state={key: value for key, value in cursor.state.items() if key != "resume"})
    return len(seen)


def usergroup_members_refresh(*, usergroup: Usergroup, client) -> dict:
    """Make the group hold exactly the linked members of the usergroup: add joiners, remove leavers. Membership is
    read through SQL when the compatibility check found the REST filter ignored (actionkit.compat)."""
    via_sql = compat.groups_via_sql(compat_result(usergroup.connection))
    ak_ids = set(client.usergroup_member_ids(usergroup.ak_id, via_sql=via_sql))
    links = MemberLink.objects.filter(connection_id=usergroup.connection_id)
    wanted = set(links.filter(ak_user_id__in=ak_ids).values_list("member_id", flat=True)) if ak_ids else set()
    with transaction.atomic():
        current = set(GroupMembership.objects.filter(group_id=usergroup.group_id).values_list("member_id", flat=True))
        memberships_add({(usergroup.group_id, m) for m in wanted - current})
        GroupMembership.objects.filter(group_id=usergroup.group_id, member_id__in=current - wanted).delete()
        Usergroup.objects.filter(pk=usergroup.pk).update(ak_user_count=len(ak_ids), refreshed_at=timezone.now())
    return {"added": len(wanted - current), "removed": len(current - wanted)}


def usergroup_refresh(*, usergroup_id: int, client=None) -> dict | None:
    """Refresh one synced usergroup's members; None when it is gone or no longer synced."""
    usergroup = Usergroup.objects.select_related("connection").filter(pk=usergroup_id, synced=True).first()
    if usergroup is None or compat.feature_off(compat_result(usergroup.connection), "usergroups"):
        return None
    client = factory.bulk_client_for(usergroup.connection) if client is None else client
    try:
        return usergroup_members_refresh(usergroup=usergroup, client=client)
    except ActionKitForbidden as exc:  # Only usergroup sync stops; the checklist names the permission.
        compat_forbidden_record(connection=usergroup.connection, resource=exc.resource)
        return None


@transaction.atomic
def usergroup_sync(*, usergroup: Usergroup, actor) -> Usergroup:
    """Sync: make (or reuse) the group and fill it from ActionKit in a task, after this commits."""
    usergroup = Usergroup.objects.select_for_update().get(pk=usergroup.pk)
    if not usergroup.synced:
        if usergroup.group_id is None:
            usergroup.group = Group.objects.create(entity_id=usergroup.connection.entity_id, name=usergroup.name,
                                                   kind=Group.Kind.USERGROUP, connection_id=usergroup.connection_id)
        usergroup.synced = True
        usergroup.save(update_fields=["group", "synced"])
        audit_record(entity=usergroup.connection.entity, actor=actor, action="strive.usergroup.synced",
                     target=f"usergroup {usergroup.name}")
    transaction.on_commit(partial(usergroup_refresh_task.delay, usergroup.pk))
    return usergroup


@transaction.atomic
def usergroup_unsync(*, usergroup: Usergroup, actor) -> Usergroup:
    return synced_off(row=usergroup, actor=actor, noun="usergroup")
