"""CSV import: every good row is kept, every bad row is reported with its line number and reason.

Pages import in the background (integrations.services.imports calls `import_rows` chunk by chunk); the
`members_import_csv` function imports a file in the caller's process. Both read rows the same way: the members of a
chunk are looked up with one query, and a row that would change nothing is "already recorded" without a write.
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from integrations.import_files import ImportFileInvalid, import_file_read
from integrations.models import ImportJob
from integrations.registry import ImportChunk
from integrations.services.audit import audit_record
from integrations.services.imports import import_job_create
from strive.kind import KIND
from strive.models import CustomField, Member
from strive.services.members import (
    MemberInput,
    MemberInvalid,
    member_changes,
    member_clean,
    member_upsert,
    null_character_errors,
)

MAX_BYTES = 20 * 1024 * 1024
CORE_COLUMNS = {"phone", "email", "first_name", "last_name", "city", "state", "zip", "sms_opt_in", "source"}
OPT_IN_WORDS = {"yes": "opted_in", "true": "opted_in", "y": "opted_in", "1": "opted_in", "opted_in": "opted_in",
                "no": "opted_out", "false": "opted_out", "n": "opted_out", "0": "opted_out", "opted_out": "opted_out",
                "": "unknown", "unknown": "unknown"}
PHONE_HEADER_MISSING = "The header row needs a “phone” column."


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


@dataclass
class RowsResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class MembersFileInvalid(ValueError):
    """The file as a whole cannot be imported; nothing was queued."""


def members_import_start(*, entity, data: bytes, file_name: str, actor) -> ImportJob:
    """Check the whole file, then queue its import. Raises MembersFileInvalid with the reason."""
    try:
        file = import_file_read(data=data)
    except ImportFileInvalid as exc:
        raise MembersFileInvalid(str(exc)) from None
    if "phone" not in [h.strip().lower() for h in file.headers]:
        raise MembersFileInvalid(PHONE_HEADER_MISSING)
    return import_job_create(entity=entity, kind=KIND, file_name=file_name, file=file, actor=actor,
                             params={"source": "csv"})


def import_rows(job: ImportJob, rows: list[tuple[int, dict]]) -> ImportChunk:
    result = members_rows_import(entity=job.entity, rows=rows, default_source=job.params.get("source") or "csv")
    return ImportChunk(recorded=result.created + result.updated, existing=result.unchanged, errors=tuple(result.errors))


def members_import_csv(*, entity, raw: bytes, actor=None, default_source: str = "csv") -> ImportReport:
    """Import a file in this process; the report's first error says why when the file as a whole is unusable."""
    report = ImportReport()
    if len(raw) > MAX_BYTES:
        report.errors.append((0, "The file is larger than 20 MB; split it into smaller files."))
        return report
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, "The file is not UTF-8 text; save it as “CSV UTF-8” and try again."))
        return report
    reader, rows = csv.DictReader(io.StringIO(text)), []
    try:
        if "phone" not in [h.strip().lower() for h in reader.fieldnames or []]:
            report.errors.append((1, PHONE_HEADER_MISSING))
            return report
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:  # Say, a field over csv's 128 KiB limit: the rows before it are kept.
        report.errors.append((reader.line_num, f"The file is not readable CSV from here on ({exc}); nothing after "
                                               "this line was imported."))
    _rows_into(report, entity, rows, default_source)
    audit_record(entity=entity, actor=actor, action="members.imported",
                 changes={"created": report.created, "updated": report.updated, "bad_rows": len(report.errors)})
    return report


def _rows_into(report: ImportReport, entity, rows: list[tuple[int, dict]], default_source: str) -> None:
    result = members_rows_import(entity=entity, rows=rows, default_source=default_source)
    report.created += result.created
    report.updated += result.updated + result.unchanged
    report.errors[:0] = result.errors  # Row errors come before an unreadable-CSV error, which ends the file.


@transaction.atomic
def members_rows_import(*, entity, rows: list[tuple[int, dict]], default_source: str = "csv") -> RowsResult:
    """Record one chunk of (line, row). The chunk's existing members are read with one query; each row that changes
    something goes through member_upsert in its own savepoint."""
    custom = set(CustomField.objects.filter(entity=entity).values_list("name", flat=True))
    result, cleaned = RowsResult(), []
    for line, row in rows:
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        try:
            data = _row_input(clean, custom, default_source)
            cleaned.append((line, data, member_clean(data)))
        except MemberInvalid as exc:
            result.errors.append((line, str(exc)))
    members = {m.phone: m for m in Member.objects.filter(entity=entity, phone__in={v["phone"] for _, _, v in cleaned})}
    for _, data, values in cleaned:
        member = members.get(values["phone"])
        if member is not None and not member_changes(member=member, values=values):
            result.unchanged += 1
            continue
        _, created = member_upsert(entity=entity, data=data, actor=None)
        result.created += created
        result.updated += not created
    result.errors.sort()
    return result


def _row_input(row: dict, custom: set[str], default_source: str) -> MemberInput:
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
    return data
