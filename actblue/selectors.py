"""Reads for the ActBlue pages, always scoped to an entity, and cheap at any ledger size (keyset, indexed)."""

from actblue.kind import KIND
from actblue.models import ActBlueProfile, LineItem
from integrations.models import Backfill, Connection, Delivery, DeliveryAttempt, Entity

PAGE_SIZE = 25
OPEN_COUNT_CAP = 1000  # Counting open rows stops here, so a huge backlog never slows the page.


def connection_get(*, entity: Entity) -> Connection | None:
    return Connection.objects.select_related("created_by").filter(entity=entity, kind=KIND).first()


def backfill_latest(*, connection: Connection) -> Backfill | None:
    return connection.backfills.order_by("-created_at", "-id").first()


def backfill_get(*, connection: Connection, backfill_id: int) -> Backfill | None:
    return Backfill.objects.select_related("connection").filter(pk=backfill_id, connection=connection).first()


def historical_data_sent(*, connection: Connection) -> bool:
    return connection.backfills.filter(status=Backfill.Status.DONE).exists()


def delivery_page(*, connection: Connection, before_id: int | None = None) -> tuple[list[Delivery], int | None]:
    """Newest first, PAGE_SIZE rows after the keyset cursor, each with its latest attempt's response excerpt."""
    rows = Delivery.objects.filter(connection=connection)
    if before_id:
        rows = rows.filter(id__lt=before_id)
    page = list(rows.order_by("-id").only("id", "key", "event_type", "lane", "status", "attempts", "last_status_code",
                                          "last_error", "remote_ref", "created_at", "delivered_at", "next_attempt_at",
                                          "connection_id")[:PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    latest: dict[int, DeliveryAttempt] = {}
    for attempt in DeliveryAttempt.objects.filter(delivery_id__in=[d.id for d in page]).order_by("delivery_id", "-id"):
        latest.setdefault(attempt.delivery_id, attempt)
    for delivery in page:
        delivery.latest_attempt = latest.get(delivery.id)
    return page, (page[-1].id if more else None)


def open_delivery_count(*, connection: Connection) -> tuple[int, bool]:
    """Rows waiting to go out (capped); the second value says the cap was reached."""
    ids = Delivery.objects.filter(connection=connection, status__in=Delivery.OPEN).values_list("id", flat=True)
    count = len(ids[:OPEN_COUNT_CAP + 1])
    return min(count, OPEN_COUNT_CAP), count > OPEN_COUNT_CAP


def lineitem_page(*, entity: Entity, before_id: int | None = None) -> tuple[list[LineItem], int | None]:
    """The tenant's own ledger, newest first: only what the tenant itself recorded, whatever it names."""
    rows = LineItem.objects.filter(entity=entity)
    if before_id:
        rows = rows.filter(id__lt=before_id)
    page = list(rows.select_related("contribution", "form", "refund").order_by("-id")[:PAGE_SIZE + 1])
    profile = profile_get(entity=entity)
    own_ids = profile.own_ids if profile else set()
    for item in page:
        item.is_own = item.recipient_actblue_id in own_ids
    return page[:PAGE_SIZE], (page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None)


def profile_get(*, entity: Entity) -> ActBlueProfile | None:
    return ActBlueProfile.objects.filter(entity=entity).first()
