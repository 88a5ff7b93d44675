"""What a processed action does: page group, ActionField groups, and at most one automation run.

Called inside the transaction that claimed the actions, so each effect happens exactly once per action.
Group memberships are written with bulk inserts that ignore existing rows: page and ActionField groups have no
side effects on the ActionKit side (only the primary group does, and it is not touched here).
"""

from django.utils import timezone

from integrations.models import Connection
from strive.activity.mapping import field_matches
from strive.activity.models import Action, ActionFieldGroup, Automation, AutomationRun, Page
from strive.models import GroupMembership


def effects_apply(*, connection: Connection, actions: list[Action], pages: dict[int, Page]) -> list[int]:
    """Apply group effects and create automation runs; returns the new run ids (sent after commit)."""
    acted = [a for a in actions if a.member_id]
    if not acted:
        return []
    by_pk = {p.pk: p for p in pages.values()}
    pairs = {(by_pk[a.page_id].group_id, a.member_id) for a in acted if by_pk.get(a.page_id) and by_pk[a.page_id].group_id}
    pairs |= _actionfield_pairs(connection=connection, actions=acted)
    memberships_add(pairs)
    return _automation_runs(actions=acted, by_pk=by_pk)


def memberships_add(pairs: set[tuple[int, int]]) -> None:
    now = timezone.now()
    GroupMembership.objects.bulk_create(
        [GroupMembership(group_id=g, member_id=m, added_at=now) for g, m in pairs], ignore_conflicts=True,
        batch_size=1000)


def _actionfield_pairs(*, connection: Connection, actions: list[Action]) -> set[tuple[int, int]]:
    rules = list(ActionFieldGroup.objects.filter(connection=connection).only("group_id", "page_id", "field_name", "value"))
    return {
        (rule.group_id, a.member_id)
        for rule in rules
        for a in actions
        if (rule.page_id is None or rule.page_id == a.page_id)
        and field_matches(a.fields, name=rule.field_name, value=rule.value)
    }


def is_historical(action: Action, page: Page) -> bool:
    """Taken before the page was synced: part of the initial import, which never triggers automations."""
    if page.synced_at is None:
        return True
    return action.ak_created_at is None or action.ak_created_at < page.synced_at


def _automation_runs(*, actions: list[Action], by_pk: dict[int, Page]) -> list[int]:
    automations = {a.page_id: a for a in Automation.objects.filter(page_id__in=by_pk, enabled=True)}
    due = [a for a in actions if a.page_id in automations and not is_historical(a, by_pk[a.page_id])]
    if not due:
        return []
    # The one-to-one on action makes a second run for the same action impossible, whatever the caller did.
    AutomationRun.objects.bulk_create(
        [AutomationRun(automation=automations[a.page_id], action=a) for a in due], ignore_conflicts=True)
    return list(AutomationRun.objects.filter(action__in=due, message__isnull=True).values_list("pk", flat=True))
