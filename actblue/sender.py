"""The kind's `prepare_batch` and `send`: rebuild notifications from the ledger, POST one, and sort the result into
an Outcome (errors through actionkit.outcomes.outcome_for, shared by every sender).

The outbox row holds only the source id, so a million backfill rows stay small and a notification always
reflects the ledger: as read when the scheduler claimed the row's batch, a second or so before the POST (built
per row, a query compiled per send cost more CPU than the POST itself). ActionKit de-duplicates on the line
item, which is what makes a re-send after a crash safe.
"""

import json

from actblue import mapping
from actblue.kind import CONFIG_ACCOUNT, DEFAULT_ACCOUNT
from actblue.models import Cancellation, LineItem, Refund
from actionkit import errors, factory
from actionkit.outcomes import outcome_for
from integrations.models import Connection, Delivery
from integrations.registry import Outcome

EXCERPT_CHARS = 500


def notification_for(delivery: Delivery) -> dict | None:
    """The ActBlue-format body for this row, or None when its source record is gone."""
    return notifications_for([delivery]).get(delivery.id)


def notifications_for(deliveries: list[Delivery]) -> dict[int, dict]:
    """The kind's `prepare_batch`: the bodies for a batch of rows by delivery id, in one query per event type
    present (three at most), each scoped to the rows' entity. A row whose source record is gone is left out, so
    its own send finds it gone and says so."""
    entity_ids = {delivery.connection.entity_id for delivery in deliveries}
    by_type: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_type.setdefault(delivery.event_type, []).append(delivery)
    bodies = {}
    for delivery, item in _rows_by_pk(LineItem.objects.select_related("contribution", "form").filter(
            entity_id__in=entity_ids), by_type.get(mapping.KIND_CONTRIBUTION, ()), _source_id):
        bodies[delivery.id] = mapping.lineitem_to_notification(item.contribution, item, item.form)
    for delivery, refund in _rows_by_pk(Refund.objects.select_related("line_item__contribution", "line_item__form").filter(
            line_item__entity_id__in=entity_ids), by_type.get(mapping.KIND_REFUND, ()), _source_id):
        item = refund.line_item
        bodies[delivery.id] = mapping.refund_to_notification(item.contribution, item, item.form, refund)
    cancellations = by_type.get(mapping.KIND_CANCELLATION, ())
    items = dict(_rows_by_pk(LineItem.objects.select_related("form").filter(entity_id__in=entity_ids),
                             cancellations, _cancelled_line_item))
    for delivery, cancellation in _rows_by_pk(Cancellation.objects.select_related("contribution").filter(
            contribution__entity_id__in=entity_ids), [d for d in cancellations if d in items], _source_id):
        item = items[delivery]
        bodies[delivery.id] = mapping.cancellation_to_notification(cancellation.contribution, item, item.form, cancellation)
    return bodies


def _source_id(delivery: Delivery) -> int | None:
    return delivery.source_id


def _cancelled_line_item(delivery: Delivery) -> int | None:
    return (delivery.payload or {}).get("line_item")


def _rows_by_pk(rows, deliveries, pk_of) -> list[tuple[Delivery, object]]:
    """(delivery, its row) for each delivery whose row `pk_of` names still exists; no query for no deliveries.
    No ORDER BY: its compile costs time on every batch, and the rows are matched by key."""
    wanted = {pk_of(delivery) for delivery in deliveries} - {None}
    if not wanted:
        return []
    found = {row.pk: row for row in rows.filter(pk__in=wanted)}
    return [(delivery, found[pk_of(delivery)]) for delivery in deliveries if pk_of(delivery) in found]


def actblue_send(connection: Connection, delivery: Delivery, notification: dict | None = None) -> Outcome:
    """POST the row's notification: the one notifications_for prepared with its batch, or else built here."""
    if notification is None:
        notification = notification_for(delivery)
    if notification is None:
        return Outcome(Outcome.PERMANENT, detail="The ledger record behind this notification no longer exists.")
    account = connection.config.get(CONFIG_ACCOUNT) or DEFAULT_ACCOUNT
    try:
        # The factory keeps one client per connection and thread (HTTP keep-alive) and rebuilds it on new settings.
        client = factory.client_for(connection)
        result = client.actblue_notify(account=account, notification=notification,
                                       backfill=bool((delivery.options or {}).get("backfill_flag")))
    except errors.ActionKitError as exc:
        return outcome_for(exc)
    body = result.get("body")
    return Outcome(Outcome.SUCCESS, status_code=result.get("status_code"),
                   detail=json.dumps(body)[:EXCERPT_CHARS] if body is not None else "",
                   remote_ref=result.get("location") or "")

