"""The kind's `send`: rebuild one notification from the ledger, POST it, and sort the result into an Outcome
(errors through actionkit.outcomes.outcome_for, shared by every sender).

The outbox row holds only the source id, so a million backfill rows stay small and a notification always
reflects the ledger. ActionKit de-duplicates on the line item, which is what makes a re-send after a crash safe.
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
    if delivery.event_type == mapping.KIND_CANCELLATION:
        cancellation = Cancellation.objects.select_related("contribution").filter(pk=delivery.source_id).first()
        item = LineItem.objects.select_related("form").filter(pk=(delivery.payload or {}).get("line_item")).first()
        if cancellation is None or item is None:
            return None
        return mapping.cancellation_to_notification(cancellation.contribution, item, item.form, cancellation)
    if delivery.event_type == mapping.KIND_REFUND:
        refund = Refund.objects.select_related("line_item__contribution", "line_item__form").filter(
            pk=delivery.source_id).first()
        if refund is None:
            return None
        item = refund.line_item
        return mapping.refund_to_notification(item.contribution, item, item.form, refund)
    # No .first(): its ORDER BY costs compile time on every send and a primary-key lookup needs none.
    item = next(iter(LineItem.objects.select_related("contribution", "form").filter(pk=delivery.source_id)), None)
    return None if item is None else mapping.lineitem_to_notification(item.contribution, item, item.form)


def actblue_send(connection: Connection, delivery: Delivery) -> Outcome:
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

