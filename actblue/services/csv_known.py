"""Reading ActBlue export rows: Eastern times, and which rows of a chunk the tenant's ledger already holds.

CSV times have no offset and are America/New_York, as ActBlue reports every time. `rows_already_recorded` answers for a
whole chunk with one query, so re-importing a file costs a query per chunk, not a transaction per row.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from actblue.models import Cancellation, LineItem
from integrations.ids import id_from_text
from integrations.models import Entity

EASTERN = ZoneInfo("America/New_York")
CANCELLED_AT_COLUMNS = ("Cancelled Date", "Cancellation Date", "Cancelled At", "Date Cancelled")


def csv_time(value: str):
    """'2020-01-01 04:33:42' (Eastern, no offset) → aware datetime; ISO strings with an offset pass through."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value[:40]}' is not a date and time like 2020-01-01 04:33:42.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=EASTERN)


def csv_cancelled_at(row: dict):
    return next((csv_time(row[c]) for c in CANCELLED_AT_COLUMNS if (row.get(c) or "").strip()), None)


def _text(row: dict, column: str) -> str:
    return (row.get(column) or "").strip()


def _same_line_item(row: dict, order_number: str, amount: Decimal, recipient: int) -> bool:
    try:
        row_amount = Decimal(_text(row, "Amount"))
    except InvalidOperation:
        return False
    return (_text(row, "Receipt ID") == order_number and row_amount == amount
            and id_from_text(_text(row, "Recipient ID")) == recipient)


def rows_already_recorded(*, entity: Entity, kind: str, rows: list[tuple[int, dict]]) -> set[int]:
    """The lines of `rows` this tenant's ledger already holds as they are, in one query for the whole chunk.

    A row that differs from what is recorded is not in the set: the full path reports the conflict in its words.
    """
    if kind == "cancelled":
        return _cancellations_recorded(entity, rows)
    wanted: dict[int, list[tuple[int, dict]]] = {}
    for line, row in rows:
        lineitem_id = id_from_text(_text(row, "Lineitem ID"))
        if lineitem_id:
            wanted.setdefault(lineitem_id, []).append((line, row))
    fields = ["lineitem_id", "contribution__order_number", "amount", "recipient_actblue_id", "refund"]
    found = LineItem.objects.filter(entity=entity, lineitem_id__in=list(wanted)).values_list(*fields)
    return {line for lineitem_id, order_number, amount, recipient, refund in found
            if kind != "refunded" or refund is not None
            for line, row in wanted[lineitem_id] if _same_line_item(row, order_number, amount, recipient)}


def _cancellations_recorded(entity: Entity, rows: list[tuple[int, dict]]) -> set[int]:
    keys = {}
    for line, row in rows:
        try:
            keys[line] = (_text(row, "Receipt ID"), csv_cancelled_at(row))
        except ValueError:
            continue  # The full path reports the unreadable date.
    orders = {order for order, _ in keys.values()}
    found = set(Cancellation.objects.filter(contribution__entity=entity, contribution__order_number__in=orders)
                .values_list("contribution__order_number", "cancelled_at"))
    return {line for line, key in keys.items() if key in found}
