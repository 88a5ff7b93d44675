"""Which connections receive an event, and the outbox rows for it (keys: actblue.mapping.delivery_key).

Called inside the transaction that records the event. Only the recording tenant's own connection is ever a
candidate: it gets line items to the tenant's own ActBlue entity ids, and, with "Notify for All Managed Pages",
every line item on forms the tenant manages. A disconnected connection gets rows as well: they wait in the
ledger and go out after a reconnect, so nothing is lost.

An import collects a chunk's new events in an OutboxBatch and writes their rows with one bulk insert per connection
(`outbox_batch_flush`), reading the profile and the connection once per chunk instead of once per row.
"""

from dataclasses import dataclass, field

from actblue.kind import CONFIG_NOTIFY_MANAGED, KIND
from actblue.mapping import KIND_CANCELLATION, KIND_CONTRIBUTION, KIND_REFUND, delivery_key
from actblue.models import ActBlueProfile, Cancellation, LineItem, Refund
from integrations.models import Connection, Delivery
from integrations.services.deliveries import DeliveryRow, deliveries_enqueue_bulk, delivery_enqueue


def connection_receives(connection: Connection, line_item: LineItem, own_ids: set[int]) -> bool:
    if connection.entity_id != line_item.entity_id:
        return False  # Never: a tenant's ledger goes only to the tenant's own ActionKit.
    if line_item.recipient_actblue_id in own_ids:
        return True
    form = line_item.form
    return bool(connection.config.get(CONFIG_NOTIFY_MANAGED)) and form is not None and form.managed


def connections_for(line_item: LineItem) -> list[Connection]:
    """The recording tenant's connection, when it receives this line item; no other tenant's connection is read."""
    profile = ActBlueProfile.objects.filter(entity_id=line_item.entity_id).only("entity_ids").first()
    own_ids = profile.own_ids if profile else set()
    candidates = Connection.objects.select_related("entity").filter(kind=KIND, entity_id=line_item.entity_id)
    return [c for c in candidates if connection_receives(c, line_item, own_ids)]


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


@dataclass
class OutboxBatch:
    """New ledger rows whose outbox rows are written together at the end of an import chunk."""

    line_items: list[LineItem] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    cancellations: list[Cancellation] = field(default_factory=list)

    def extend(self, other: "OutboxBatch") -> None:
        self.line_items += other.line_items
        self.refunds += other.refunds
        self.cancellations += other.cancellations


def _receivers(entity_id: int) -> tuple[list[Connection], set[int]]:
    profile = ActBlueProfile.objects.filter(entity_id=entity_id).only("entity_ids").first()
    return list(Connection.objects.select_related("entity").filter(kind=KIND, entity_id=entity_id)), (
        profile.own_ids if profile else set())


def _contribution_ids(connection: Connection, line_items: list[LineItem]) -> dict[int, tuple[int, str]]:
    """lineitem_id -> (delivery id, status) of the contributions' rows, in one query."""
    keys = {delivery_key(kind=KIND_CONTRIBUTION, lineitem_id=item.lineitem_id): item.lineitem_id for item in line_items}
    rows = Delivery.objects.filter(connection=connection, key__in=list(keys)).values_list("key", "id", "status")
    return {keys[key]: (pk, status) for key, pk, status in rows}


def _depends_on(found: tuple[int, str] | None) -> int | None:
    # A contribution already delivered needs no waiting; leaving the link out lets the connection pump send it.
    return None if found is None or found[1] == Delivery.Status.SUCCEEDED else found[0]


def outbox_batch_flush(*, entity_id: int, batch: OutboxBatch) -> int:
    """Write the batch's outbox rows, contributions first so refunds can wait on them. Returns rows written."""
    connections, own_ids = _receivers(entity_id)
    written = 0
    for connection in connections:
        items = [i for i in batch.line_items if connection_receives(connection, i, own_ids)]
        written += len(deliveries_enqueue_bulk(connection=connection, rows=[DeliveryRow(
            delivery_key(kind=KIND_CONTRIBUTION, lineitem_id=i.lineitem_id), KIND_CONTRIBUTION, {}, i.pk) for i in items]))
        written += _dependents_flush(connection, batch, own_ids)
    return written


def _dependents_flush(connection: Connection, batch: OutboxBatch, own_ids: set[int]) -> int:
    refunds = [r for r in batch.refunds if connection_receives(connection, r.line_item, own_ids)]
    pairs, seen = [], set()
    for cancellation in batch.cancellations:
        item = next((i for i in cancellation_line_items(cancellation) if connection_receives(connection, i, own_ids)), None)
        if item is not None and cancellation.pk not in seen:
            seen.add(cancellation.pk)
            pairs.append((cancellation, item))
    found = _contribution_ids(connection, [r.line_item for r in refunds] + [item for _, item in pairs])
    rows = [DeliveryRow(delivery_key(kind=KIND_REFUND, lineitem_id=r.line_item.lineitem_id), KIND_REFUND, {}, r.pk,
                        _depends_on(found.get(r.line_item.lineitem_id))) for r in refunds]
    rows += [DeliveryRow(delivery_key(kind=KIND_CANCELLATION, order_number=c.contribution.order_number,
                                      cancelled_at=c.cancelled_at), KIND_CANCELLATION, {"line_item": item.pk}, c.pk,
                         _depends_on(found.get(item.lineitem_id))) for c, item in pairs]
    return len(deliveries_enqueue_bulk(connection=connection, rows=rows))
