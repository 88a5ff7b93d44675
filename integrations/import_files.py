"""An uploaded file checked as a whole before any import is queued: size, kind of file, encoding, header, rows.

Pure reading, no database: the upload view of each kind calls import_file_read, checks its own columns, and only
then creates the job (integrations.services.imports.import_job_create).
"""

import codecs
import csv
import io
from dataclasses import dataclass

IMPORT_MAX_BYTES = 20 * 1024 * 1024  # The largest file accepted at upload.
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and legacy .xls.


class ImportFileInvalid(ValueError):
    """The file as a whole cannot be imported; the message says why, in words for the person who uploaded it."""


@dataclass(frozen=True)
class ImportFile:
    text: str
    headers: list[str]
    header_end: int  # Character offset of the first data record.
    header_lines: int
    total_rows: int


def import_file_read(*, data: bytes) -> ImportFile:
    """Decode and check an upload, and count its rows. Raises ImportFileInvalid."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ImportFileInvalid("The file is larger than 20 MB; split it into smaller files.")
    if not data.strip():
        raise ImportFileInvalid("The file is empty.")
    if data.startswith(SPREADSHEET_MAGIC):
        raise ImportFileInvalid("This is a spreadsheet file, not CSV. Save it as “CSV UTF-8” and upload that.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileInvalid("The file is UTF-16 text; save it as “CSV UTF-8” and try again.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileInvalid("The file is not UTF-8 text; save it as “CSV UTF-8” and try again.") from None
    if "\x00" in text.partition("\n")[0]:
        raise ImportFileInvalid("The file's header row holds NUL bytes, so it is not a text CSV file; save it as "
                                "“CSV UTF-8” and try again.")
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream)
    try:
        headers = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileInvalid("The file is not CSV: its first line is not a header row.") from None
    header_end, header_lines = stream.tell(), reader.line_num
    total = _rows_count(reader)
    if not total:
        raise ImportFileInvalid("The file has a header row but no rows to import.")
    return ImportFile(text, headers, header_end, header_lines, total)


def _rows_count(reader) -> int:
    total = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return total
        except csv.Error:
            return total + 1  # The unreadable record is reported as a row error; nothing after it is read.
        total += bool(row)  # A blank line is no row, as csv.DictReader skips it.
