"""Groups and memberships. The primary group holds every synced member; adding to it may create an AK user."""

from django.db import transaction

from integrations.services.audit import audit_record
from strive.models import Group, GroupMembership, Member
from strive.protections import protection_reason
from strive.services.pushes import member_create_ak_user


class GroupProtected(Exception):
    """Deleting this group is refused; str(exc) says why, in words for the person who asked."""


class GroupSyncOwned(Exception):
    """Adding a member by hand is refused: the sync decides who is in this group; str(exc) says why."""


# The ActionKit sync fills these from pages and usergroups (in bulk, not through group_add_member).
SYNC_OWNED_KINDS = (Group.Kind.PAGE, Group.Kind.USERGROUP)


def group_add_refusal(group: Group) -> str:
    """Why members cannot be added to ``group`` by hand, or ""."""
    if group.kind not in SYNC_OWNED_KINDS:
        return ""
    source = "ActionKit page" if group.kind == Group.Kind.PAGE else "ActionKit user group"
    return (f"“{group.name}” is filled by the sync from its {source}; members cannot be added by hand. "
            f"Add them in ActionKit instead.")


@transaction.atomic
def group_create(*, entity, name: str, kind: str = Group.Kind.MANUAL, connection=None, actor=None) -> Group:
    group = Group.objects.create(entity=entity, name=name.strip(), kind=kind, connection=connection)
    audit_record(entity=entity, actor=actor, action="group.created", target=group.name, changes={"kind": kind})
    return group


@transaction.atomic
def group_add_member(*, group: Group, member: Member, actor=None, create_ak_user: bool = True) -> tuple[GroupMembership, bool]:
    """Add a member to a group (idempotent). Adding to the primary group creates the ActionKit user when
    Create Users is on; the sync itself passes create_ak_user=False since its members already have users."""
    assert group.entity_id == member.entity_id, "a group and its members belong to one entity"
    if refusal := group_add_refusal(group):
        raise GroupSyncOwned(refusal)
    membership, created = GroupMembership.objects.get_or_create(group=group, member=member)
    if created and create_ak_user and group.kind == Group.Kind.PRIMARY:
        member_create_ak_user(member=member, group=group)
    if created and actor is not None:
        audit_record(entity=group.entity, actor=actor, action="group.member_added", target=group.name,
                     changes={"member": member.phone})
    return membership, created


def group_add_members_bulk(*, group: Group, member_ids: list[int]) -> int:
    """Add many members without side effects (used by polls, whose members are already synced)."""
    rows = [GroupMembership(group=group, member_id=member_id) for member_id in member_ids]
    return len(GroupMembership.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500))


@transaction.atomic
def group_remove_member(*, group: Group, member: Member, actor=None) -> bool:
    deleted, _ = GroupMembership.objects.filter(group=group, member=member).delete()
    if deleted and actor is not None:
        audit_record(entity=group.entity, actor=actor, action="group.member_removed", target=group.name,
                     changes={"member": member.phone})
    return bool(deleted)


def group_is_protected(group: Group) -> bool:
    """The primary group cannot be deleted while its integration is active (syncing)."""
    if group.kind != Group.Kind.PRIMARY or group.connection is None:
        return False
    return bool(group.connection.is_active and group.connection.config.get("sync_accounts"))


def group_protection_reason(group: Group) -> str:
    """Why a group cannot be deleted from the Groups page, or "". Other rules (the activity app's page, usergroup
    and ActionField groups) come from strive/protections.py, where apps register them in AppConfig.ready()."""
    if group_is_protected(group):
        return ("The primary ActionKit group is managed by the active ActionKit integration; "
                "turn Sync Accounts off first.")
    return protection_reason(group)


@transaction.atomic
def group_delete(*, group: Group, actor=None) -> None:
    """Delete from the Groups page. Raises GroupProtected with the reason when any rule objects.

    The row is locked first, so a page or usergroup synced at the same moment cannot lose its group.
    """
    group = Group.objects.select_for_update().get(pk=group.pk)
    reason = group_protection_reason(group)
    if reason:
        raise GroupProtected(reason)
    group_remove(group=group, actor=actor)


def group_remove(*, group: Group, actor=None) -> None:
    """Delete a group with its memberships, audited with its kind and size. Asks no rule: callers that may delete
    it (the Groups page after its rules; an app deleting its own group, such as an ActionField group) call this."""
    size = group.memberships.count()
    audit_record(entity=group.entity, actor=actor, action="strive.group.deleted", target=f"group {group.name}",
                 changes={"kind": group.kind, "members": size})
    group.delete()
