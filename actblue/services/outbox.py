"""Which connections receive an event, and the outbox rows for it (keys: actblue.mapping.delivery_key).

Called inside the transaction that records the event. A connection of the line item's recipient always gets
it; the connection of the form's manager gets it too when "Notify for All Managed Pages" is on. Disconnected
connections get rows as well: they wait in the ledger and go out after a reconnect, so nothing is lost.
"""

from actblue.kind import CONFIG_NOTIFY_MANAGED, KIND
from actblue.mapping import KIND_CANCELLATION, KIND_CONTRIBUTION, KIND_REFUND, delivery_key
from actblue.models import Cancellation, LineItem, Refund
from integrations.models import Connection, Delivery
from integrations.services.deliveries import delivery_enqueue


def connection_receives(connection: Connection, line_item: LineItem, manager_id: int | None) -> bool:
    if connection.entity_id == line_item.recipient_id:
        return True
    return bool(connection.config.get(CONFIG_NOTIFY_MANAGED)) and connection.entity_id == manager_id


def connections_for(line_item: LineItem) -> list[Connection]:
    form = line_item.form
    manager_id = form.manager_id if form else None
    entity_ids = {line_item.recipient_id, *([manager_id] if manager_id else [])}
    candidates = Connection.objects.select_related("entity").filter(kind=KIND, entity_id__in=entity_ids)
    return [c for c in candidates if connection_receives(c, line_item, manager_id)]


def contribution_enqueue(*, line_item: LineItem) -> list[Delivery]:
    key = delivery_key(kind=KIND_CONTRIBUTION, lineitem_id=line_item.lineitem_id)
    return [delivery_enqueue(connection=c, key=key, event_type=KIND_CONTRIBUTION, payload={}, source_id=line_item.pk)[0]
            for c in connections_for(line_item)]


def _contribution_delivery(connection: Connection, line_item: LineItem) -> Delivery | None:
    key = delivery_key(kind=KIND_CONTRIBUTION, lineitem_id=line_item.lineitem_id)
    return Delivery.objects.filter(connection=connection, key=key).first()


def refund_enqueue(*, refund: Refund) -> list[Delivery]:
    """The refund waits for its contribution's delivery, so it can never overtake it."""
    line_item = refund.line_item
    key = delivery_key(kind=KIND_REFUND, lineitem_id=line_item.lineitem_id)
    return [delivery_enqueue(connection=c, key=key, event_type=KIND_REFUND, payload={}, source_id=refund.pk,
                             depends_on=_contribution_delivery(c, line_item))[0]
            for c in connections_for(line_item)]


def cancellation_line_items(cancellation: Cancellation) -> list[LineItem]:
    """The series' latest charge, one line item per recipient: each recipient's ActionKit hears of the cancellation."""
    rows = LineItem.objects.select_related("form").filter(contribution_id=cancellation.contribution_id)
    latest = rows.order_by("-sequence").values_list("sequence", flat=True).first()
    return list(rows.filter(sequence=latest).order_by("id")) if latest is not None else []


def cancellation_enqueue(*, cancellation: Cancellation) -> list[Delivery]:
    key = delivery_key(kind=KIND_CANCELLATION, order_number=cancellation.contribution.order_number,
                       cancelled_at=cancellation.cancelled_at)
    deliveries, seen = [], set()
    for line_item in cancellation_line_items(cancellation):
        for connection in connections_for(line_item):
            if connection.pk in seen:
                continue
            seen.add(connection.pk)
            deliveries.append(delivery_enqueue(
                connection=connection, key=key, event_type=KIND_CANCELLATION, payload={"line_item": line_item.pk},
                source_id=cancellation.pk, depends_on=_contribution_delivery(connection, line_item))[0])
    return deliveries
