import pytest
from django.db import connection as db_connection

from integrations.models import AuditEvent
from integrations.services import bulkload as dbstats


def test_bulk_load_analyzes_each_time_the_rows_written_grow_tenfold(monkeypatch):
    calls = []
    monkeypatch.setattr(dbstats, "tables_analyze", lambda *models: calls.append(models))
    stats = dbstats.BulkLoadStats(AuditEvent)
    stats.written(dbstats.FIRST_ANALYZE_AT - 1)
    assert calls == []
    stats.written(1)
    assert calls == [(AuditEvent,)]
    stats.written(dbstats.FIRST_ANALYZE_AT * 10 - dbstats.FIRST_ANALYZE_AT - 1)
    assert len(calls) == 1
    stats.written(1)
    assert len(calls) == 2


@pytest.mark.django_db
def test_analyze_gives_postgresql_the_table_size(cast):
    if db_connection.vendor != "postgresql":
        pytest.skip("ANALYZE statistics are PostgreSQL's; elsewhere tables_analyze does nothing")
    AuditEvent.objects.bulk_create([AuditEvent(entity=cast.entity_a, action="bench", target=str(i)) for i in range(300)])
    dbstats.tables_analyze(AuditEvent)
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [AuditEvent._meta.db_table])
        assert cursor.fetchone()[0] >= 300
