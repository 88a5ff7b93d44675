"""Contributions CSV uploads run as background jobs: slices and hand-over, cancel, row errors, tenancy, re-imports."""

import csv
import dataclasses
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actblue.models import LineItem
from actblue.services.csv_import import csv_rows_import
from integrations import import_files
from integrations.models import AuditEvent, Delivery, ImportJob
from integrations.services import bulkload, imports
from tests.actblue import payloads
from tests.actblue.payloads import ENTITY_A_ID
from tests.imports import paid_csv, row_errors, upload_and_run

pytestmark = pytest.mark.django_db
PAID = (payloads.FIXTURES / "paid.csv").read_bytes()


def import_url(entity) -> str:
    return reverse("actblue:import", kwargs={"entity_slug": entity.slug})


def job_url(name: str, job) -> str:
    return reverse(f"integrations:{name}", kwargs={"entity_slug": job.entity.slug, "job_id": job.pk})


def upload(client, entity, data: bytes, name="paid.csv", kind="paid"):
    return upload_and_run(client, import_url(entity), {"kind": kind, "file": SimpleUploadedFile(name, data)})


@pytest.fixture
def alice(world):
    return world.cast.client_for(world.cast.alice)


@pytest.fixture
def held_slices(monkeypatch, settings):
    """Hand-overs are recorded instead of run, so a test can act between one slice and the next."""
    queued = []
    monkeypatch.setattr(imports, "chunk_rows", lambda job: 2)
    settings.TASK_BUDGET_SECONDS = 0
    monkeypatch.setattr(imports.import_job_run_task, "apply_async", lambda args, **kw: queued.append(args[0]))
    return queued


def test_it_answers_at_once_with_a_job_page_and_reads_the_file_in_slices(world, alice, monkeypatch, settings):
    monkeypatch.setattr(imports, "chunk_rows", lambda job: 3)
    settings.TASK_BUDGET_SECONDS = 0  # One chunk per slice, then a fresh task.
    slices = []
    run = imports.import_job_run
    monkeypatch.setattr(imports, "import_job_run", lambda *, job_id: slices.append(job_id) or run(job_id=job_id))
    response, job, page = upload(alice, world.cast.entity_a, paid_csv(10, recipient=ENTITY_A_ID).encode())
    assert response["Location"] == job_url("import-job", job)
    assert len(slices) == 4 and (job.status, job.total_rows, job.rows_done) == ("done", 10, 10)
    assert (job.rows_recorded, job.rows_existing, job.rows_failed) == (10, 0, 0)
    assert LineItem.objects.filter(entity=world.cast.entity_a).count() == 10
    assert job.started_at <= job.finished_at and job.cursor == len(bytes(job.content).decode())
    assert "Download row errors (CSV)" in page.content.decode() and page.status_code == 200
    progress = alice.get(job_url("import-job-progress", job)).json()
    assert progress | {"rate": 0} == {**progress, "processed": 10, "total": 10, "percent": 100, "recorded": 10,
                                      "done": True, "eta_seconds": None, "status": "done", "rate": 0}


def test_cancel_mid_way_keeps_what_was_recorded_and_stops(world, alice, held_slices):
    _, job, _ = upload(alice, world.cast.entity_a, paid_csv(6, recipient=ENTITY_A_ID).encode())
    imports.import_job_run(job_id=job.pk)  # The first slice reads one chunk, then hands over.
    job.refresh_from_db()
    assert held_slices == [job.pk, job.pk] and (job.status, job.rows_done, job.rows_recorded) == ("running", 2, 2)
    progress = alice.get(job_url("import-job-progress", job)).json()
    assert (progress["percent"], progress["done"]) == (33, False) and progress["eta_seconds"] is not None
    assert alice.post(job_url("import-job-cancel", job)).status_code == 302
    imports.import_job_run(job_id=job.pk)  # The slice that was handed over finds the job cancelled.
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_recorded) == ("cancelled", 2, 2)
    assert LineItem.objects.filter(entity=world.cast.entity_a).count() == 2
    assert list(AuditEvent.objects.filter(entity=world.cast.entity_a, action__startswith="import.")
                .values_list("action", flat=True)) == ["import.cancelled", "import.started"]
    assert "Cancel import" not in alice.get(job_url("import-job", job)).content.decode()


def test_row_errors_download_as_csv_with_their_file_lines(world, alice):
    _, job, _ = upload(alice, world.cast.entity_a, PAID)
    assert (job.rows_recorded, job.rows_failed) == (2, 2) and [line for line, _ in row_errors(job)] == [3, 5]
    response = alice.get(job_url("import-job-errors", job))
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["row", "message"] and [row[0] for row in rows[1:]] == ["3", "5"]
    assert "amount" in rows[1][1]


def test_a_message_that_starts_like_a_formula_is_quoted_in_the_download(world, alice):
    job = ImportJob.objects.create(entity=world.cast.entity_a, kind="actblue_actionkit", file_name="x.csv",
                                   content=b"", errors=[{"row": 2, "message": "=HYPERLINK(\"x\")"}])
    assert "'=HYPERLINK" in alice.get(job_url("import-job-errors", job)).content.decode()


def test_another_tenants_job_answers_404_everywhere(world, alice, held_slices):
    _, job, _ = upload(alice, world.cast.entity_a, paid_csv(6, recipient=ENTITY_A_ID).encode())
    charlie = world.cast.client_for(world.cast.charlie)
    for name in ("import-job", "import-job-progress", "import-job-errors"):
        assert charlie.get(job_url(name, job)).status_code == 404
        # Under charlie's own entity, A's job id is unknown as well.
        own = reverse(f"integrations:{name}", kwargs={"entity_slug": world.cast.entity_b.slug, "job_id": job.pk})
        assert charlie.get(own).status_code == 404
    assert charlie.post(job_url("import-job-cancel", job)).status_code == 404
    own_cancel = reverse("integrations:import-job-cancel", kwargs={"entity_slug": world.cast.entity_b.slug,
                                                                   "job_id": job.pk})
    assert charlie.post(own_cancel).status_code == 404
    job.refresh_from_db()
    assert job.status == "queued"


def test_re_importing_says_already_recorded_with_no_new_deliveries_and_a_query_per_chunk(world, alice):
    data = paid_csv(400, recipient=ENTITY_A_ID).encode()
    _, first, _ = upload(alice, world.cast.entity_a, data)
    deliveries = Delivery.objects.filter(connection=world.connection_a).count()
    assert (first.rows_recorded, deliveries) == (400, 400)
    _, again, page = upload(alice, world.cast.entity_a, data)
    assert (again.status, again.rows_recorded, again.rows_existing, again.rows_failed) == ("done", 0, 400, 0)
    assert Delivery.objects.filter(connection=world.connection_a).count() == deliveries
    assert "Already recorded" in page.content.decode()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    with CaptureQueriesContext(db) as queries:
        chunk = csv_rows_import(entity=world.cast.entity_a, kind="paid", rows=list(enumerate(rows[:200], start=2)))
    assert (chunk.recorded, chunk.existing) == (0, 200)
    assert len(queries) <= 6, [q["sql"][:80] for q in queries]  # Not one query per row.


def test_a_fresh_import_queues_one_send_per_chunk_not_one_per_row(world, alice, monkeypatch):
    queued = []
    monkeypatch.setattr(imports, "chunk_rows", lambda job: 200)
    monkeypatch.setattr("integrations.services.deliveries.delivery_send_queue", lambda pk, **kw: queued.append(pk))
    _, job, _ = upload(alice, world.cast.entity_a, paid_csv(450, recipient=ENTITY_A_ID).encode())
    assert job.rows_recorded == 450 and Delivery.objects.filter(connection=world.connection_a).count() == 450
    assert len(queued) == 3  # 200 + 200 + 50 rows.


def test_a_conflicting_row_is_still_reported_on_a_re_import(world, alice):
    upload(alice, world.cast.entity_a, paid_csv(2, recipient=ENTITY_A_ID).encode())
    changed = paid_csv(2, recipient=ENTITY_A_ID).replace(",10.00,", ",99.00,", 1).encode()
    _, job, _ = upload(alice, world.cast.entity_a, changed)
    assert (job.rows_existing, job.rows_failed) == (1, 1) and "already recorded as 10.00" in job.errors[0]["message"]


@pytest.mark.parametrize("name, data, words", [
    ("book.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet"),
    ("paid.csv", b"name,email\nx,y\n", "missing column(s)"),
    ("paid.csv", b"\xff\xfeR\x00e\x00c\x00", "UTF-16"),
    ("paid.csv", "Receipt ID,Amount\nAB1,ümlaut\n".encode("latin-1"), "not UTF-8"),
    ("paid.csv", b"Receipt\x00 ID,Date\n", "NUL bytes"),
    ("paid.csv", b"", "empty"),
    ("paid.csv", PAID.splitlines()[0] + b"\n", "no rows"),
])
def test_a_bad_file_is_a_400_with_the_reason_and_nothing_queued(world, alice, name, data, words):
    with TestCase.captureOnCommitCallbacks() as callbacks:
        response = alice.post(import_url(world.cast.entity_a), {"kind": "paid", "file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400 and words in response.content.decode()
    assert not ImportJob.objects.exists() and callbacks == []


def test_a_file_over_the_limit_is_a_400(world, alice, monkeypatch):
    monkeypatch.setattr(import_files, "IMPORT_MAX_BYTES", 100)
    response = alice.post(import_url(world.cast.entity_a), {"kind": "paid", "file": SimpleUploadedFile(
        "paid.csv", paid_csv(5, recipient=ENTITY_A_ID).encode())})
    assert response.status_code == 400 and "larger than 20 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_import_page_lists_recent_imports(world, alice):
    _, job, _ = upload(alice, world.cast.entity_a, PAID, name="spring.csv")
    page = alice.get(import_url(world.cast.entity_a)).content.decode()
    assert "Recent imports" in page and job_url("import-job", job) in page and "spring.csv" in page


@pytest.mark.parametrize("rate, rows", [(0.0, 50), (12.5, 12), (0.2, 1), (90_000.0, 500)])
def test_a_chunk_holds_about_a_second_of_work(rate, rows, monkeypatch):
    monkeypatch.setattr(bulkload.db_connection, "vendor", "postgresql")
    assert imports.chunk_rows(ImportJob(rate=rate)) == rows


@pytest.mark.parametrize("rate, rows", [(0.0, 50), (12.5, 3), (0.2, 1), (90_000.0, 500)])
def test_on_sqlite_a_chunk_holds_a_quarter_second_so_other_writers_wait_no_longer(rate, rows, monkeypatch):
    monkeypatch.setattr(bulkload.db_connection, "vendor", "sqlite")
    assert imports.chunk_rows(ImportJob(rate=rate)) == rows


def test_a_stale_job_is_restarted_by_the_sweep(world, alice, held_slices):
    _, job, _ = upload(alice, world.cast.entity_a, paid_csv(6, recipient=ENTITY_A_ID).encode())
    held_slices.clear()
    assert imports.import_jobs_sweep() == 0  # Its heartbeat is fresh.
    old = job.created_at - imports.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(created_at=old, heartbeat_at=old)
    assert imports.import_jobs_sweep() == 1 and held_slices == [job.pk]


def test_a_database_outage_mid_chunk_leaves_the_job_open_for_the_sweep_and_loses_no_row(world, alice, held_slices,
                                                                                       monkeypatch):
    from django.db import OperationalError

    _, job, _ = upload(alice, world.cast.entity_a, paid_csv(6, recipient=ENTITY_A_ID).encode())
    imports.import_job_run(job_id=job.pk)  # One chunk of two rows is recorded.
    kind = imports.registry.get_kind(job.kind)
    calls = []

    def outage(job, rows):
        calls.append(len(rows))
        kind.import_rows(job, rows)  # The rows are written, then the connection drops before the commit.
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(imports.registry, "get_kind", lambda name: dataclasses.replace(kind, import_rows=outage))
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert calls == [2] and (job.status, job.rows_done, job.failure) == ("running", 2, "")
    assert LineItem.objects.filter(entity=world.cast.entity_a).count() == 2  # The failed chunk rolled back whole.

    monkeypatch.undo()
    monkeypatch.setattr(imports, "chunk_rows", lambda job: 10)
    monkeypatch.setattr(imports.import_job_run_task, "apply_async", lambda args, **kw: None)
    old = job.created_at - imports.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(created_at=old, heartbeat_at=old)
    assert imports.import_jobs_sweep() == 1
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_recorded) == ("done", 6, 6)
    assert LineItem.objects.filter(entity=world.cast.entity_a).count() == 6


@pytest.mark.parametrize("page", ["contributions", "import"])
def test_the_contributions_pages_show_all_the_tabs(world, alice, page):
    html = alice.get(reverse(f"actblue:{page}", kwargs={"entity_slug": world.cast.entity_a.slug})).content.decode()
    assert ">Settings</a>" in html and ">Historical data</a>" in html
