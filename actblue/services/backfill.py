"""The kind's `plan_backfill_chunk`: walk line items by id after a cursor and write backfill outbox rows.

Constant memory at any size: one keyset page of ids at a time, rows written with bulk_create(ignore_conflicts)
under the live keys, so an event already in the outbox collapses into its existing row. In "resend all" mode,
rows already sent are reopened on the backfill lane instead. Backfill params (set by actblue.forms.BackfillForm):
mode "new" | "all", email_subscription bool, date_from / date_to "YYYY-MM-DD" (inclusive, America/New_York).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from actblue.kind import CONFIG_NOTIFY_MANAGED
from actblue.mapping import KIND_CANCELLATION, KIND_CONTRIBUTION, KIND_REFUND, delivery_key
from actblue.models import ActBlueProfile, Cancellation, LineItem, Refund, lineitems_for_connection_q
from integrations.models import Backfill, Delivery
from integrations.registry import BackfillChunk

EASTERN = ZoneInfo("America/New_York")  # ActBlue's reporting day, so a date range means what donors saw.
INSERT_BATCH = 2000
REOPENABLE = (Delivery.Status.SUCCEEDED, Delivery.Status.DEAD, Delivery.Status.CANCELLED)


def backfill_options(params: dict) -> dict:
    # Unchecked "Email subscription" means ActionKit must not subscribe historical donors: backfill=1.
    return {"backfill_flag": not params.get("email_subscription", False)}


def _day_start(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), time.min, tzinfo=EASTERN)


def lineitem_scope(backfill: Backfill) -> Q:
    connection, params = backfill.connection, backfill.params or {}
    profile = ActBlueProfile.objects.filter(entity_id=connection.entity_id).first()
    q = lineitems_for_connection_q(entity_id=connection.entity_id, own_ids=profile.own_ids if profile else set(),
                                   notify_managed=bool(connection.config.get(CONFIG_NOTIFY_MANAGED)))
    if params.get("date_from"):
        q &= Q(paid_at__gte=_day_start(params["date_from"]))
    if params.get("date_to"):
        q &= Q(paid_at__lt=_day_start(params["date_to"]) + timedelta(days=1))
    return q


def plan_backfill_chunk(backfill: Backfill, after_id: int, limit: int) -> BackfillChunk:
    rows = list(LineItem.objects.filter(lineitem_scope(backfill), id__gt=after_id).order_by("id")
                .values_list("id", "lineitem_id", "contribution_id", "sequence")[:limit])
    if not rows:
        return BackfillChunk(planned=0, last_source_id=after_id, done=True)
    planner = _ChunkPlanner(backfill)
    planner.contributions(rows)
    planner.refunds(rows)
    planner.cancellations(rows)
    return BackfillChunk(planned=planner.planned(), last_source_id=rows[-1][0], done=len(rows) < limit)


class _ChunkPlanner:
    """Writes one chunk's rows. Counts what it added or reopened as it goes, so no extra counting query is needed."""

    def __init__(self, backfill: Backfill):
        self.backfill, self.connection = backfill, backfill.connection
        self.options = backfill_options(backfill.params or {})
        self.resend_all = (backfill.params or {}).get("mode") == "all"
        self.count = 0
        self.now = timezone.now()
        self._contribution_ids: dict[int, int] | None = None
        self.contribution_keys: list[str] = []

    def _row(self, key: str, event_type: str, source_id: int, payload=None, depends_on_id=None) -> Delivery:
        return Delivery(connection=self.connection, key=key, event_type=event_type, source_id=source_id,
                        payload=payload or {}, lane=Delivery.Lane.BACKFILL, backfill=self.backfill, options=self.options,
                        depends_on_id=depends_on_id, next_attempt_at=self.now, enqueued_at=self.now, created_at=self.now)

    def _write(self, rows: list[Delivery]) -> None:
        existing = dict(Delivery.objects.filter(connection=self.connection, key__in=[r.key for r in rows])
                        .values_list("key", "backfill_id"))
        new = [row for row in rows if row.key not in existing]
        # ignore_conflicts: a live event recorded since the check above collapses into its own row.
        Delivery.objects.bulk_create(new, batch_size=INSERT_BATCH, ignore_conflicts=True)
        self.count += len(new)
        others = [key for key, backfill_id in existing.items() if backfill_id != self.backfill.pk]
        if not others:
            return
        reopen = Delivery.objects.filter(connection=self.connection, key__in=others, status__in=REOPENABLE)
        if not self.resend_all:
            reopen = reopen.filter(delivered_at__isnull=True)  # "Only data not yet sent": never-delivered rows.
        self.count += reopen.update(status=Delivery.Status.PENDING, lane=Delivery.Lane.BACKFILL, backfill=self.backfill,
                                    options=self.options, next_attempt_at=self.now, attempts=0, claimed_at=None)

    def contribution_delivery_id(self, line_item_pk: int) -> int | None:
        if self._contribution_ids is None:  # Only chunks with refunds or cancellations need the dependency ids.
            self._contribution_ids = dict(Delivery.objects.filter(
                connection=self.connection, key__in=self.contribution_keys).values_list("source_id", "id"))
        return self._contribution_ids.get(line_item_pk)

    def contributions(self, rows) -> None:
        self.contribution_keys = [delivery_key(kind=KIND_CONTRIBUTION, lineitem_id=r[1]) for r in rows]
        self._write([self._row(key, KIND_CONTRIBUTION, r[0]) for key, r in zip(self.contribution_keys, rows, strict=True)])

    def refunds(self, rows) -> None:
        refunds = list(Refund.objects.filter(line_item_id__in=[r[0] for r in rows]).values_list("id", "line_item_id"))
        if not refunds:
            return
        by_item = {pk: lineitem_id for pk, lineitem_id, _, _ in rows}
        self._write([self._row(delivery_key(kind=KIND_REFUND, lineitem_id=by_item[item_pk]), KIND_REFUND, refund_pk,
                               depends_on_id=self.contribution_delivery_id(item_pk)) for refund_pk, item_pk in refunds])

    def cancellations(self, rows) -> None:
        latest: dict[int, tuple[int, int]] = {}  # contribution id → (sequence, line item pk) of its latest charge here.
        for pk, _, contribution_id, sequence in rows:
            if contribution_id not in latest or sequence > latest[contribution_id][0]:
                latest[contribution_id] = (sequence, pk)
        found = list(Cancellation.objects.filter(contribution_id__in=list(latest)).values_list(
            "id", "contribution_id", "contribution__order_number", "cancelled_at"))
        if not found:
            return
        # A series' charges span many chunks; _write skips a cancellation this backfill already planned, so the
        # total stays exact.
        self._write([self._row(delivery_key(kind=KIND_CANCELLATION, order_number=order, cancelled_at=at),
                               KIND_CANCELLATION, pk, payload={"line_item": latest[cid][1]},
                               depends_on_id=self.contribution_delivery_id(latest[cid][1]))
                     for pk, cid, order, at in found])

    def planned(self) -> int:
        return self.count
