"""CSV import: every good row is kept, every bad row is reported with its line number and reason."""

import csv
import io
from dataclasses import dataclass, field

from integrations.services.audit import audit_record
from strive.models import CustomField
from strive.services.members import MemberInput, MemberInvalid, member_upsert, null_character_errors

MAX_BYTES = 20 * 1024 * 1024
CORE_COLUMNS = {"phone", "email", "first_name", "last_name", "city", "state", "zip", "sms_opt_in", "source"}
OPT_IN_WORDS = {"yes": "opted_in", "true": "opted_in", "y": "opted_in", "1": "opted_in", "opted_in": "opted_in",
                "no": "opted_out", "false": "opted_out", "n": "opted_out", "0": "opted_out", "opted_out": "opted_out",
                "": "unknown", "unknown": "unknown"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def members_import_csv(*, entity, raw: bytes, actor=None, default_source: str = "csv") -> ImportReport:
    report = ImportReport()
    if len(raw) > MAX_BYTES:
        report.errors.append((0, "The file is larger than 20 MB; split it into smaller files."))
        return report
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, "The file is not UTF-8 text; save it as “CSV UTF-8” and try again."))
        return report
    reader = csv.DictReader(io.StringIO(text))
    try:
        headers = [h.strip().lower() for h in reader.fieldnames or []]
        if "phone" not in headers:
            report.errors.append((1, "The header row needs a “phone” column."))
            return report
        _import_rows(entity, reader, actor, default_source, report)
    except csv.Error as exc:  # Say, a field over csv's 128 KiB limit: the rows before it are kept.
        report.errors.append((reader.line_num, f"The file is not readable CSV from here on ({exc}); nothing after "
                                               "this line was imported."))
    audit_record(entity=entity, actor=actor, action="members.imported",
                 changes={"created": report.created, "updated": report.updated, "bad_rows": len(report.errors)})
    return report


def _import_rows(entity, reader: csv.DictReader, actor, default_source: str, report: ImportReport) -> None:
    custom = set(CustomField.objects.filter(entity=entity).values_list("name", flat=True))
    for row in reader:
        line = reader.line_num
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        try:
            _import_row(entity, clean, custom, actor, default_source, report)
        except MemberInvalid as exc:
            report.errors.append((line, str(exc)))


def _import_row(entity, row: dict, custom: set[str], actor, default_source: str, report: ImportReport) -> None:
    # A NUL byte is refused as the API refuses it, before any other check reads (and echoes) the value.
    nul = null_character_errors({k: v for k, v in row.items() if k in CORE_COLUMNS or k in custom})
    if nul:
        raise MemberInvalid(nul)
    opt_in = OPT_IN_WORDS.get(row.get("sms_opt_in", "").lower())
    if opt_in is None:
        raise MemberInvalid({"sms_opt_in": f"“{row['sms_opt_in']}” is not yes/no/unknown."})
    data = MemberInput(phone=row.get("phone", ""), email=row.get("email", ""), first_name=row.get("first_name", ""),
                       last_name=row.get("last_name", ""), city=row.get("city", ""), state=row.get("state", ""),
                       zip=row.get("zip", ""), sms_opt_in=opt_in, source=row.get("source") or default_source,
                       custom_fields={k: v for k, v in row.items() if k in custom and v})
    if data.email and "@" not in data.email:
        raise MemberInvalid({"email": f"“{data.email}” is not an email address."})
    _, created = member_upsert(entity=entity, data=data, actor=None)
    if created:
        report.created += 1
    else:
        report.updated += 1
