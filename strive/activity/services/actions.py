"""Taking actions in, from the webhook, the poll or a page's initial import, and applying their effects once.

Each batch: resolve users to members (HTTP for users not linked yet, outside any transaction), insert the actions
by (connection, ak_id) ignoring those already stored, then in one transaction claim the unprocessed ones with a
conditional UPDATE and apply group effects and automations to exactly the claimed rows. Whoever sees an action
second (webhook or poll) finds it claimed and does nothing.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.utils import timezone

from integrations.models import Connection
from strive.activity.mapping import ActionIn, search_text
from strive.activity.models import Action, ActionFieldName, Page
from strive.activity.services.effects import effects_apply
from strive.activity.services.members import members_for_ak_users
from strive.activity.tasks import automation_runs_send as automation_runs_send_task

PROCESSED = "Processed."
NO_MEMBER = "No member: the user has no phone or opt-in value."


@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    processed: int = 0
    skipped_unsynced: int = 0
    automations: int = 0
    run_ids: list[int] = field(default_factory=list)

    def add(self, other: "IngestStats") -> None:
        for name in ("received", "stored", "processed", "skipped_unsynced", "automations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.run_ids.extend(other.run_ids)


def synced_pages(*, connection: Connection) -> dict[int, Page]:
    return {p.ak_id: p for p in Page.objects.filter(connection=connection, synced=True).select_related("group")}


def actions_ingest(*, connection: Connection, items: Iterable[ActionIn], source: str, client,
                   pages: dict[int, Page] | None = None, member_cache: dict | None = None) -> IngestStats:
    """Store and process one batch (a few hundred actions). Actions on pages that are not synced are dropped."""
    pages = synced_pages(connection=connection) if pages is None else pages
    items = list(items)
    stats = IngestStats(received=len(items))
    wanted = [a for a in items if a.page_ak_id in pages]
    stats.skipped_unsynced = len(items) - len(wanted)
    if not wanted:
        return stats
    acted_at = {}
    for a in wanted:
        when = a.updated_at or a.created_at
        if when is not None and (acted_at.get(a.ak_user_id) is None or when > acted_at[a.ak_user_id]):
            acted_at[a.ak_user_id] = when
    members = members_for_ak_users(connection=connection, ak_user_ids={a.ak_user_id for a in wanted},
                                   client=client, cache=member_cache, acted_at=acted_at)
    rows = [_row(connection, a, pages[a.page_ak_id], members.get(a.ak_user_id), source) for a in wanted]
    Action.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    stats.stored = len(rows)
    with transaction.atomic():
        claimed = _claim(connection=connection, ak_ids=[a.ak_id for a in wanted], members=members)
        stats.processed = len(claimed)
        _field_names_record(claimed)
        run_ids = effects_apply(connection=connection, actions=claimed, pages=pages)
        stats.automations, stats.run_ids = len(run_ids), run_ids
        if run_ids:
            transaction.on_commit(partial(automation_runs_send_task.delay, run_ids))
    return stats


def _row(connection, action: ActionIn, page: Page, member_id, source: str) -> Action:
    return Action(connection=connection, ak_id=action.ak_id, page=page, ak_user_id=action.ak_user_id,
                  member_id=member_id, fields=action.fields, search_text=search_text(action), source=source,
                  ak_created_at=action.created_at or action.updated_at or _received_now(source),
                  outcome="")


def _received_now(source: str):
    # A webhook body without timestamps describes an action that just happened.
    return timezone.now() if source == Action.Source.WEBHOOK else None


def _claim(*, connection: Connection, ak_ids: list[int], members: dict) -> list[Action]:
    """Mark the unprocessed ones as ours in one conditional UPDATE; return exactly the rows this call won."""
    token = f"claim:{uuid.uuid4().hex}"
    Action.objects.filter(connection=connection, ak_id__in=ak_ids, processed_at__isnull=True).update(
        processed_at=timezone.now(), outcome=token)
    claimed = list(Action.objects.filter(connection=connection, ak_id__in=ak_ids, outcome=token).only(
        "pk", "ak_id", "page_id", "ak_user_id", "member_id", "fields", "ak_created_at", "outcome"))
    # A row stored earlier (say by a webhook whose task died) may predate its member's creation.
    stale = [a for a in claimed if members.get(a.ak_user_id) and a.member_id != members[a.ak_user_id]]
    for action in stale:
        action.member_id = members[action.ak_user_id]
    Action.objects.bulk_update(stale, ["member"], batch_size=500)
    for has_member, outcome in ((True, PROCESSED), (False, NO_MEMBER)):
        ids = [a.pk for a in claimed if bool(a.member_id) is has_member]
        Action.objects.filter(pk__in=ids).update(outcome=outcome)
    for action in claimed:
        action.outcome = PROCESSED if action.member_id else NO_MEMBER
    return claimed


def _field_names_record(actions: list[Action]) -> None:
    names = {(a.page_id, name) for a in actions for name in a.fields}
    ActionFieldName.objects.bulk_create([ActionFieldName(page_id=p, name=n) for p, n in names],
                                        ignore_conflicts=True)
