"""Groups of the activity side: the deletion rule it registers, and ActionField groups (made and deleted here).

The Groups page, manual groups and the refusing delete are the members side's (strive/services/groups.py)."""

from django.db import transaction

from integrations.models import Connection
from integrations.services.audit import audit_record
from strive.activity.mapping import field_matches
from strive.activity.models import Action, ActionFieldGroup, Page, Usergroup
from strive.activity.services.effects import memberships_add
from strive.models import Group
from strive.services.groups import group_remove


def group_protection_reason(group: Group) -> str:
    """The activity side's rule for strive/protections.py: why this group cannot be deleted from the Groups page,
    or "" when it has no objection. The members side checks the primary group itself before asking the rules."""
    if group.kind == Group.Kind.ACTIONFIELD:
        return "ActionField groups are deleted from the integration's ActionField Groups tab."
    page = Page.objects.filter(group=group, synced=True).first()
    if page:
        return f"The page “{page.name}” is synced; unsync it on the Pages tab first."
    usergroup = Usergroup.objects.filter(group=group, synced=True).first()
    if usergroup:
        return f"The usergroup “{usergroup.name}” is synced; unsync it on the Usergroups tab first."
    return ""


@transaction.atomic
def actionfield_group_create(*, connection: Connection, name: str, page: Page | None, field_name: str, value: str,
                             actor) -> ActionFieldGroup:
    """Create the group and fill it from the actions already stored; later actions join as they arrive."""
    group = Group.objects.create(entity_id=connection.entity_id, name=name, kind=Group.Kind.ACTIONFIELD,
                                 connection=connection)
    rule = ActionFieldGroup.objects.create(connection=connection, group=group, page=page, field_name=field_name,
                                           value=value)
    memberships_add(actionfield_group_matches(rule=rule))
    audit_record(entity=connection.entity, actor=actor, action="strive.actionfield_group.created",
                 target=f"group {name}", changes={"page": page.name if page else "all synced pages",
                                                  "field": field_name, "value": value})
    return rule


def actionfield_group_matches(*, rule: ActionFieldGroup) -> set[tuple[int, int]]:
    actions = Action.objects.filter(connection_id=rule.connection_id, member__isnull=False, page__synced=True)
    if rule.page_id:
        actions = actions.filter(page_id=rule.page_id)
    rows = actions.values_list("member_id", "fields").iterator(chunk_size=2000)
    return {(rule.group_id, member_id) for member_id, fields in rows
            if field_matches(fields or {}, name=rule.field_name, value=rule.value)}


@transaction.atomic
def actionfield_group_delete(*, rule: ActionFieldGroup, actor) -> None:
    """The ActionField Groups tab's delete: the only way these groups go."""
    group_remove(group=rule.group, actor=actor)


def synced_off(*, row: Page | Usergroup, actor, noun: str) -> Page | Usergroup:
    """Unsync a page or a usergroup: it stops taking ActionKit's changes; its group keeps its members and may now be
    deleted. The caller holds the transaction."""
    type(row).objects.filter(pk=row.pk).update(synced=False)
    row.synced = False
    audit_record(entity=row.connection.entity, actor=actor, action=f"strive.{noun}.unsynced", target=f"{noun} {row.name}")
    return row
