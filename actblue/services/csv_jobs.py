"""ActBlue exports imported in the background: the upload check, and the kind's `import_rows` hook.

The hub (integrations.services.imports) stores the file, reads it in chunks and calls `import_rows`; this module says
whether a file is an export of the chosen type and records a chunk with csv_import's row code.
"""

from actblue.kind import KIND
from actblue.services.csv_import import CsvFileError, csv_missing_columns, csv_rows_import
from integrations.import_files import ImportFileInvalid, import_file_read
from integrations.models import Connection, Entity, ImportJob
from integrations.registry import ImportChunk
from integrations.services.imports import import_job_create


def contributions_import_start(*, entity: Entity, connection: Connection | None, data: bytes, file_name: str,
                               kind: str, actor) -> ImportJob:
    """Check the whole file, then queue its import. Raises CsvFileError with the reason; nothing is queued then."""
    try:
        file = import_file_read(data=data)
    except ImportFileInvalid as exc:
        raise CsvFileError(str(exc)) from None
    missing = csv_missing_columns(file.headers, kind=kind)
    if missing:
        raise CsvFileError(missing)
    return import_job_create(entity=entity, kind=KIND, connection=connection, file_name=file_name, file=file,
                             actor=actor, params={"export": kind})


def import_rows(job: ImportJob, rows: list[tuple[int, dict]]) -> ImportChunk:
    return csv_rows_import(entity=job.entity, kind=job.params["export"], rows=rows)
