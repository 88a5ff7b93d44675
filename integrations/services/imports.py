"""Background imports: an uploaded CSV becomes an ImportJob, and workers read it in bounded slices.

The file is checked as a whole at upload (integrations.import_files.import_file_read, which raises
ImportFileInvalid with a message for the person), so a bad file is refused before anything is queued. Then
`import_job_run` reads chunks of rows after the job's cursor and hands each to its kind's `import_rows` hook, in one
transaction with the cursor and the counters, so a worker that dies mid-chunk leaves the job where the last chunk
left it. After the task budget (TASK_BUDGET_SECONDS) the slice queues a fresh task and returns, so a 50,000-row
file never holds a worker for minutes. Cancelling is seen at the next chunk: what was recorded stays recorded.
"""

import csv
import io
import logging
from datetime import timedelta
from functools import partial

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from integrations import registry
from integrations.budget import out_of_time, task_deadline
from integrations.import_files import ImportFile
from integrations.models import Connection, Entity, ImportJob
from integrations.progress_words import eta_words
from integrations.registry import ImportChunk
from integrations.services.audit import audit_record
from integrations.services.bulkload import WriteTurns, chunk_seconds
from integrations.tasks import import_job_run as import_job_run_task

logger = logging.getLogger(__name__)

IMPORT_CHUNK_ROWS = 500  # Most rows per chunk: one transaction, one "already recorded" query per kind.
FIRST_CHUNK_ROWS = 50  # Before the rate is known: the page shows progress within a few seconds.
CHUNK_SECONDS = 1.0  # Later chunks hold about this much work, so progress moves and Cancel waits at most this long.
IMPORT_MAX_ERRORS = 1000  # Row errors kept for the download; the count goes on past it.
IMPORT_STALE_SECONDS = 120  # An open job with no heartbeat for this long is restarted by the sweep.
RATE_SMOOTHING = 0.3  # Weight of the newest chunk in the smoothed rows-per-second.


@transaction.atomic
def import_job_create(*, entity: Entity, kind: str, file_name: str, file: ImportFile, actor,
                      connection: Connection | None = None, params: dict | None = None) -> ImportJob:
    """Store the checked file and queue the first slice after commit."""
    job = ImportJob.objects.create(
        entity=entity, kind=kind, connection=connection, params=params or {}, file_name=file_name[:255],
        created_by=actor if getattr(actor, "is_authenticated", False) else None, content=file.text.encode(),
        total_rows=file.total_rows, cursor=file.header_end, cursor_line=file.header_lines)
    audit_record(entity=entity, actor=actor, action="import.started", target=f"import {job.pk}",
                 changes={"file": job.file_name, "rows": job.total_rows, **job.params})
    transaction.on_commit(partial(import_job_queue, job.pk))
    return job


def import_job_queue(job_id: int) -> None:
    """Queue a slice. With the broker down the job waits for import_jobs_sweep."""
    try:
        import_job_run_task.apply_async((job_id,))
    except Exception:
        logger.warning("import.enqueue.failed", extra={"import_job_id": job_id}, exc_info=True)


def import_job_run(*, job_id: int) -> None:
    """Run one slice: chunks until the file ends, the job is cancelled, or the slice's time is up."""
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now)
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).first()
    if job is None:
        return  # Gone, cancelled or finished.
    handler = registry.get_kind(job.kind).import_rows
    text = bytes(job.content).decode()
    headers = next(csv.reader(io.StringIO(text, newline="")))
    deadline, turns = task_deadline(), WriteTurns()
    cursor = job.cursor
    while True:
        try:
            cursor = _chunk_run(job_id, handler, text, headers, cursor)
        except (OperationalError, InterfaceError):
            # The database went away mid-chunk: the chunk rolled back, and the job stays open where the last one
            # left it, so import_jobs_sweep restarts it once its heartbeat is stale. Nothing is lost or doubled.
            logger.warning("import.chunk.database_error", extra={"import_job_id": job_id}, exc_info=True)
            return
        except Exception:
            logger.exception("import.chunk.crashed", extra={"import_job_id": job_id})
            _job_fail(job_id, "An internal error stopped the import; the rows before it were kept.")
            return
        if cursor is None:
            return
        turns.committed()
        if out_of_time(deadline):
            import_job_queue(job_id)  # Hand over: the next slice starts after this cursor, on any worker.
            return


def _chunk_run(job_id: int, handler, text: str, headers: list[str], cursor: int) -> int | None:
    """Record the chunk after `cursor`; the new cursor, or None when the job stopped (finished, cancelled, taken)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().defer("content").get(pk=job_id)
        if job.status != ImportJob.Status.RUNNING or job.cursor != cursor:
            return None  # Cancelled, or another worker's slice got here first.
        stream = io.StringIO(text, newline="")
        stream.seek(cursor)
        reader = csv.DictReader(stream, fieldnames=headers)
        rows, bad, ended = _chunk_read(reader, job.cursor_line, chunk_rows(job))
        chunk = handler(job, rows) if rows else ImportChunk()
        _job_advance(job, chunk, rows, bad, ended, offset=stream.tell(), lines=job.cursor_line + reader.line_num)
    return None if ended else job.cursor


def chunk_rows(job: ImportJob) -> int:
    """Rows for the next chunk: about CHUNK_SECONDS of work at the job's measured rate."""
    if not job.rate:
        return min(FIRST_CHUNK_ROWS, IMPORT_CHUNK_ROWS)
    return max(1, min(IMPORT_CHUNK_ROWS, int(job.rate * chunk_seconds(CHUNK_SECONDS))))


def _chunk_read(reader: csv.DictReader, base_line: int, limit: int):
    rows, bad = [], None
    while len(rows) < limit:
        try:
            row = next(reader)
        except StopIteration:
            return rows, bad, True
        except csv.Error as exc:  # Say, a field over csv's 128 KiB limit: nothing after it can be trusted.
            bad = (base_line + reader.line_num, f"The file is not readable CSV from here on ({exc}); nothing after "
                                                "this line was imported.")
            return rows, bad, True
        rows.append((base_line + reader.line_num, row))
    return rows, bad, False


def _job_advance(job: ImportJob, chunk: ImportChunk, rows: list, bad, ended: bool, *, offset: int, lines: int) -> None:
    now = timezone.now()
    errors = [*chunk.errors, *([bad] if bad else [])]
    job.rows_done += len(rows) + bool(bad)
    job.rows_recorded += chunk.recorded
    job.rows_existing += chunk.existing
    job.rows_failed += len(errors)
    job.errors = (job.errors + [{"row": line, "message": message} for line, message in errors])[:IMPORT_MAX_ERRORS]
    seconds = max(0.001, (now - (job.heartbeat_at or job.started_at or now)).total_seconds())
    speed = (len(rows) + bool(bad)) / seconds
    job.rate = speed if not job.rate else RATE_SMOOTHING * speed + (1 - RATE_SMOOTHING) * job.rate
    job.cursor, job.cursor_line, job.heartbeat_at = offset, lines, now
    if ended:
        job.status, job.finished_at = ImportJob.Status.DONE, now
        job.total_rows = max(job.total_rows, job.rows_done)
        logger.info("import.finished", extra={"import_job_id": job.pk, "rows": job.rows_done})
    job.save(update_fields=["rows_done", "rows_recorded", "rows_existing", "rows_failed", "errors", "rate", "cursor",
                            "cursor_line", "heartbeat_at", "status", "finished_at", "total_rows"])


def _job_fail(job_id: int, reason: str) -> None:
    ImportJob.objects.filter(pk=job_id, status__in=ImportJob.OPEN).update(
        status=ImportJob.Status.FAILED, failure=reason, finished_at=timezone.now())


@transaction.atomic
def import_job_cancel(*, job: ImportJob, actor) -> bool:
    """Stop the job at its next chunk; rows already recorded stay. False when it had already stopped."""
    stopped = ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.OPEN).update(
        status=ImportJob.Status.CANCELLED, finished_at=timezone.now())
    if stopped:
        audit_record(entity=job.entity, actor=actor, action="import.cancelled", target=f"import {job.pk}",
                     changes={"file": job.file_name})
    return bool(stopped)


def import_jobs_sweep() -> int:
    """Restart open jobs whose worker died or whose first task was lost. Returns how many were restarted."""
    stale = timezone.now() - timedelta(seconds=IMPORT_STALE_SECONDS)
    ids = list(ImportJob.objects.filter(status__in=ImportJob.OPEN, created_at__lt=stale)
               .exclude(heartbeat_at__gte=stale).values_list("id", flat=True)[:100])
    for job_id in ids:
        ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
        import_job_queue(job_id)
    return len(ids)


def import_job_progress(job: ImportJob) -> dict:
    """Rows read of rows in the file, for both the bar and the text; the ETA is rows left ÷ smoothed rows per second."""
    finished = job.status not in ImportJob.OPEN
    total = job.total_rows or 0
    percent = 100 if job.status == ImportJob.Status.DONE else (min(100, job.rows_done * 100 // total) if total else 0)
    remaining = max(0, total - job.rows_done)
    eta = None if finished or not job.rate else int(remaining / job.rate + 0.5)
    return {"id": job.pk, "status": job.status, "status_label": job.get_status_display(), "total": total,
            "processed": job.rows_done, "percent": percent, "recorded": job.rows_recorded,
            "existing": job.rows_existing, "errors": job.rows_failed, "eta_seconds": eta,
            "eta_text": "" if finished else (eta_words(eta) or "Less than a minute left") if eta is not None
            else "Working out the time left…",
            "rate": round(job.rate, 1), "done": finished, "failure": job.failure}
