"""CSV import: good rows kept, bad rows reported by line number, Eastern times, refunds and cancellations."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from actblue.models import Cancellation, LineItem, Refund
from actblue.services.csv_import import CsvFileError, csv_import
from integrations.models import Delivery
from tests.actblue.payloads import FIXTURES

pytestmark = pytest.mark.django_db
PAID = (FIXTURES / "paid.csv").read_text()


def run(world, text, kind="paid"):
    return csv_import(entity=world.cast.entity_a, stream=io.StringIO(text, newline=""), kind=kind)


def test_it_keeps_good_rows_and_reports_bad_ones_by_line(world):
    report = run(world, PAID)
    assert (report.imported, report.duplicates) == (2, 0)
    assert [line for line, _ in report.errors] == [3, 5]
    assert "amount" in report.errors[0][1] and "someday" in report.errors[1][1]
    assert sorted(LineItem.objects.values_list("lineitem_id", flat=True)) == [7001, 7003]
    assert Delivery.objects.filter(connection=world.connection_a).count() == 2


def test_it_reads_csv_times_as_eastern(world):
    run(world, PAID)
    item = LineItem.objects.get(lineitem_id=7001)
    assert item.paid_at == datetime(2020, 1, 1, 9, 33, 43, tzinfo=UTC)  # 04:33:43 EST is 09:33:43 UTC.
    assert item.contribution.is_recurring is False and LineItem.objects.get(lineitem_id=7003).sequence == 1


def test_it_is_idempotent(world):
    run(world, PAID)
    report = run(world, PAID)
    assert (report.imported, report.duplicates) == (0, 2)


def test_it_imports_refunds_and_cancellations(world):
    run(world, PAID)
    refunded = PAID.splitlines()[0] + ",Refund Date\n" + PAID.splitlines()[1] + ",2020-01-03 10:00:00\n"
    assert run(world, refunded, "refunded").imported == 1
    assert Refund.objects.get().refunded_at == datetime(2020, 1, 3, 15, 0, tzinfo=UTC)
    cancelled = "Receipt ID,Date,Cancelled Date\nAB102,2020-07-05 12:00:00,2020-09-01 08:00:00\nAB999,2020-01-01,2020-02-01 00:00:00\n"
    report = run(world, cancelled, "cancelled")
    assert report.imported == 1 and report.errors[0][0] == 3 and "AB999" in report.errors[0][1]
    assert Cancellation.objects.get().contribution.order_number == "AB102"


def test_it_rejects_a_file_without_the_export_columns(world):
    with pytest.raises(CsvFileError):
        run(world, "name,email\nx,y\n")


def test_the_command_imports_and_reports(world, capsys):
    with pytest.raises(CommandError) as excinfo:
        call_command("actblue_import_csv", str(FIXTURES / "paid.csv"), entity=world.cast.entity_a.slug, kind="paid")
    assert "2 row(s) rejected" in str(excinfo.value)
    out = capsys.readouterr()
    assert "2 imported" in out.out and "line 3:" in out.err


def test_refunds_and_cancellations_re_import_as_already_recorded_without_new_deliveries(world):
    run(world, PAID)
    refunded = PAID.splitlines()[0] + ",Refund Date\n" + PAID.splitlines()[1] + ",2020-01-03 10:00:00\n"
    cancelled = "Receipt ID,Date,Cancelled Date\nAB102,2020-07-05 12:00:00,2020-09-01 08:00:00\n"
    assert (run(world, refunded, "refunded").imported, run(world, cancelled, "cancelled").imported) == (1, 1)
    deliveries = Delivery.objects.count()
    again = run(world, refunded, "refunded"), run(world, cancelled, "cancelled")
    assert [(r.imported, r.duplicates, r.error_count) for r in again] == [(0, 1, 0), (0, 1, 0)]
    assert Delivery.objects.count() == deliveries
    # The contribution was not delivered yet, so the refund waits for it, as a refund from the API does.
    contribution = Delivery.objects.get(event_type="contribution", source_id=Refund.objects.get().line_item_id)
    assert contribution.status == Delivery.Status.PENDING
    assert Delivery.objects.get(event_type="refund").depends_on_id == contribution.pk
