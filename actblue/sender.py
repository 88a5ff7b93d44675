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
    """The kind's `prepare_batch`: the bodies for a batch of rows by delivery id, in three queries at most (line
    items, refunds, cancellations, each scoped to the rows' entity), however many rows. A row whose source record
    is gone is left out, so its own send finds it gone and says so."""
    entity_ids = {delivery.connection.entity_id for delivery in deliveries}
    by_type: dict[str, list[Delivery]] = {mapping.KIND_CONTRIBUTION: [], mapping.KIND_REFUND: [],
                                          mapping.KIND_CANCELLATION: []}
    for delivery in deliveries:  # Any other event type names a line item, as a contribution's row does.
        by_type.get(delivery.event_type, by_type[mapping.KIND_CONTRIBUTION]).append(delivery)
    contributions, cancellations = by_type[mapping.KIND_CONTRIBUTION], by_type[mapping.KIND_CANCELLATION]
    items = _by_pk(LineItem.objects.select_related("contribution", "form").filter(entity_id__in=entity_ids),
                   [d.source_id for d in contributions] + [_cancelled_line_item(d) for d in cancellations])
    refunds = _by_pk(Refund.objects.select_related("line_item__contribution", "line_item__form").filter(
        line_item__entity_id__in=entity_ids), [d.source_id for d in by_type[mapping.KIND_REFUND]])
    cancelled = _by_pk(Cancellation.objects.select_related("contribution").filter(
        contribution__entity_id__in=entity_ids), [d.source_id for d in cancellations])
    bodies = {}
    for delivery in contributions:
        if item := items.get(delivery.source_id):
            bodies[delivery.id] = mapping.lineitem_to_notification(item.contribution, item, item.form)
    for delivery in by_type[mapping.KIND_REFUND]:
        if refund := refunds.get(delivery.source_id):
            item = refund.line_item
            bodies[delivery.id] = mapping.refund_to_notification(item.contribution, item, item.form, refund)
    for delivery in cancellations:
        cancellation, item = cancelled.get(delivery.source_id), items.get(_cancelled_line_item(delivery))
        if cancellation and item:
            bodies[delivery.id] = mapping.cancellation_to_notification(cancellation.contribution, item, item.form,
                                                                       cancellation)
    return bodies


def _cancelled_line_item(delivery: Delivery) -> int | None:
    return (delivery.payload or {}).get("line_item")


def _by_pk(rows, pks: list) -> dict:
    """The rows among `rows` with these primary keys, by key; no query when there are none. No ORDER BY: its
    compile costs time on every batch, and the rows are matched by key."""
    wanted = set(pks) - {None}
    return {row.pk: row for row in rows.filter(pk__in=wanted)} if wanted else {}


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

