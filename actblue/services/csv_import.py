"""Import ActBlue's paid, refunded and cancelled-recurring CSV exports (ActBlue's CSV API).

Each row becomes the webhook shape and goes through the same validation and services as the API, one savepoint
per row: a bad row is reported with its line number and every good row is kept. Rows are read in chunks: one query
per chunk finds the rows already recorded, and one bulk insert per chunk writes the new rows' outbox rows. CSV times
have no offset and are America/New_York, as ActBlue reports every time; booleans are t/f.
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from rest_framework.exceptions import ValidationError

from actblue import serializers as s
from actblue.services.csv_known import csv_cancelled_at, csv_time, rows_already_recorded
from actblue.services.ledger import LedgerConflict, cancellation_record_by_order, contribution_record, refund_record
from actblue.services.outbox import OutboxBatch, outbox_batch_flush
from integrations.ids import id_from_text
from integrations.models import Entity
from integrations.registry import ImportChunk
from integrations.services.bulkload import WriteTurns

KINDS = ("paid", "refunded", "cancelled")
MAX_REPORTED_ERRORS = 500  # Enough to fix a file; a file that is all errors is the wrong file.

DONOR_COLUMNS = {"firstname": "Donor First Name", "lastname": "Donor Last Name", "addr1": "Donor Addr1",
                 "city": "Donor City", "state": "Donor State", "zip": "Donor ZIP", "country": "Donor Country",
                 "email": "Donor Email", "phone": "Donor Phone"}
REQUIRED = {"paid": ("Lineitem ID", "Receipt ID", "Date", "Amount", "Recipient ID"),
            "refunded": ("Lineitem ID", "Receipt ID", "Date", "Amount", "Recipient ID", "Refund Date"),
            "cancelled": ("Receipt ID",)}


@dataclass
class ImportReport:
    kind: str
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0

    def add_error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((line, message))


class CsvFileError(ValueError):
    """The file as a whole cannot be read (wrong columns, not CSV, not UTF-8)."""


def _flag(row: dict, column: str) -> bool:
    return (row.get(column) or "").strip().lower() in ("t", "true", "1", "yes")


def _sequence(recurrence_number: str) -> int:
    """ActBlue's 1-based "Recurrence Number" as the webhook's 0-based sequence; anything unreadable is the first."""
    number = id_from_text(recurrence_number)
    return number - 1 if number and number <= 10000 else 0


def row_to_notification(row: dict, *, kind: str) -> dict:
    """One export row in the webhook shape (unparsed values; the serializer validates them)."""
    get = lambda column: (row.get(column) or "").strip()  # noqa: E731 - a local shorthand reads best here.
    paid = csv_time(get("Payment Date")) or csv_time(get("Date"))
    months = get("Recurring Total Months")
    body = {
        "donor": {key: get(column) for key, column in DONOR_COLUMNS.items()} | {
            "employerData": {"employer": get("Donor Employer"), "occupation": get("Donor Occupation")},
            "isEligibleForExpressLane": _flag(row, "ActBlue Express Donor")},
        "contribution": {"createdAt": csv_time(get("Date")), "orderNumber": get("Receipt ID"),
                         "contributionForm": get("Fundraising Page"), "refcode": get("Reference Code"),
                         "refcode2": get("Reference Code 2"), "refcodes": {"refcode": get("Reference Code")} if get("Reference Code") else {},
                         "recurringPeriod": "monthly" if months and months != "1" else "once",
                         "recurringDuration": "infinite" if months.lower() == "unlimited" else (months or 1),
                         "isRecurring": bool(months and months != "1"), "isMobile": _flag(row, "Mobile"),
                         "withExpressLane": _flag(row, "ActBlue Express Lane"), "isExpress": _flag(row, "ActBlue Express Lane"),
                         "expressSignup": _flag(row, "New Express Signup"), "isPaypal": get("Card Type").lower() == "paypal"},
        "lineitems": [{"lineitemId": get("Lineitem ID"), "sequence": _sequence(get("Recurrence Number")), "entityId": get("Recipient ID"),
            "committeeName": get("Recipient Committee") or get("Recipient"), "fecId": get("Recipient Gov ID"),
            "amount": get("Amount"), "paidAt": paid, "paymentId": get("Payment ID") or None}],
        "form": {"name": get("Fundraising Page"), "kind": "page", "managingEntityName": get("Managed Entity Name")},
    }
    if kind == "refunded":
        body["lineitems"][0].update(refundedAt=csv_time(get("Refund Date")), disbursedAt=csv_time(get("Disbursement Date")),
                                    recoveredAt=csv_time(get("Recovery Date")))
    return body


def _flatten(detail, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [m for key, value in detail.items() for m in _flatten(value, f"{prefix}{key}.")]
    if isinstance(detail, list):
        return [m for value in detail for m in _flatten(value, prefix)]
    return [f"{prefix.rstrip('.').replace('lineitems.', '') or 'row'}: {detail}"]


def _import_row(entity: Entity, row: dict, kind: str, batch: OutboxBatch) -> bool:
    """Record one row; True when it was new. Its outbox rows join `batch`. Raises ValueError with a readable message."""
    if kind == "cancelled":
        cancelled_at = csv_cancelled_at(row)
        if cancelled_at is None:
            raise ValueError("Cancelled Date: this field is required.")
        return bool(cancellation_record_by_order(entity=entity, order_number=row["Receipt ID"].strip(),
                                                 cancelled_at=cancelled_at, batch=batch).created)
    serializer_class = s.RefundNotificationSerializer if kind == "refunded" else s.ContributionNotificationSerializer
    serializer = serializer_class(data=row_to_notification(row, kind=kind))
    if not serializer.is_valid():
        raise ValueError("; ".join(_flatten(serializer.errors)))
    recorder = refund_record if kind == "refunded" else contribution_record
    return bool(recorder(entity=entity, data=serializer.validated_data, batch=batch).created)


@transaction.atomic
def csv_rows_import(*, entity: Entity, kind: str, rows: list[tuple[int, dict]]) -> ImportChunk:
    """Record one chunk of export rows (line, row). Each row has its own savepoint, so a bad row is reported and the
    others kept; rows already recorded are found with one query, and the new rows' outbox rows are written in bulk."""
    known = rows_already_recorded(entity=entity, kind=kind, rows=rows)
    batch, recorded, existing, errors = OutboxBatch(), 0, len(known), []
    for line, row in rows:
        if line in known:
            continue
        row_batch = OutboxBatch()
        try:
            with transaction.atomic():
                new = _import_row(entity, row, kind, row_batch)
        except (ValueError, LedgerConflict, ValidationError) as exc:
            errors.append((line, str(exc)))
            continue
        batch.extend(row_batch)
        recorded += new
        existing += not new
    outbox_batch_flush(entity_id=entity.pk, batch=batch)
    return ImportChunk(recorded=recorded, existing=existing, errors=tuple(errors))


SYNC_CHUNK_ROWS = 200  # Rows per chunk when a file is imported in the caller's process (manage.py).


def csv_import(*, entity: Entity, stream, kind: str) -> ImportReport:
    """Import one export in this process. `stream` yields text lines. Raises CsvFileError when the file as a whole
    is unusable. Pages import in the background instead (actblue.services.csv_jobs)."""
    reader = csv.DictReader(stream)
    missing = csv_missing_columns(reader.fieldnames or [], kind=kind)
    if missing:
        raise CsvFileError(missing)
    report, rows, turns = ImportReport(kind), [], WriteTurns()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.add_error(reader.line_num, f"Unreadable CSV: {exc}")
            continue
        rows.append((reader.line_num, row))
        if len(rows) == SYNC_CHUNK_ROWS:
            _report_add(report, csv_rows_import(entity=entity, kind=kind, rows=rows))
            rows = []
            turns.committed()
    if rows:
        _report_add(report, csv_rows_import(entity=entity, kind=kind, rows=rows))
    return report


def _report_add(report: ImportReport, chunk: ImportChunk) -> None:
    report.imported += chunk.recorded
    report.duplicates += chunk.existing
    for line, message in chunk.errors:
        report.add_error(line, message)


def csv_missing_columns(headers: list[str], *, kind: str) -> str:
    """The message for a file that is not this kind of export, or "" when its header row is right."""
    missing = [c for c in REQUIRED[kind] if c not in headers]
    return f"This is not an ActBlue {kind} export: missing column(s) {', '.join(missing)}." if missing else ""


def csv_import_bytes(*, entity: Entity, data: bytes, kind: str) -> ImportReport:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFileError("The file is not UTF-8 text; export it again from ActBlue as CSV.") from exc
    return csv_import(entity=entity, stream=io.StringIO(text, newline=""), kind=kind)
