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


def test_write_turns_pause_sqlite_bulk_loops_once_they_have_written_for_a_turn(monkeypatch):
    clock, sleeps = [100.0], []
    monkeypatch.setattr(dbstats.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(dbstats.time, "sleep", sleeps.append)
    monkeypatch.setattr(dbstats.db_connection, "vendor", "sqlite")
    turns = dbstats.WriteTurns()
    clock[0] += dbstats.WRITE_TURN_SECONDS / 2
    turns.committed()
    assert sleeps == []
    clock[0] += dbstats.WRITE_TURN_SECONDS / 2
    turns.committed()
    assert sleeps == [dbstats.WRITE_PAUSE_SECONDS]
    turns.committed()  # The turn starts again after the pause.
    assert sleeps == [dbstats.WRITE_PAUSE_SECONDS]
    assert dbstats.WRITE_PAUSE_SECONDS > 0.1  # SQLite's busy handler sleeps up to 100 ms between tries.


def test_write_turns_cost_postgresql_nothing(monkeypatch):
    sleeps = []
    monkeypatch.setattr(dbstats.time, "sleep", sleeps.append)
    monkeypatch.setattr(dbstats.db_connection, "vendor", "postgresql")
    turns = dbstats.WriteTurns()
    turns.since -= 10
    turns.committed()
    assert sleeps == []


def _hog_writes(path: str, chunks: int) -> None:
    """Another process's bulk loop: write for 0.3 s per chunk under BEGIN IMMEDIATE, commit, and take its turn."""
    import sqlite3
    import time

    dbstats.db_connection.vendor = "sqlite"  # In this forked child only; the loop below is a SQLite writer.
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    turns = dbstats.WriteTurns()
    for _ in range(chunks):
        db.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        while time.monotonic() - started < 0.3:
            db.execute("INSERT INTO t VALUES ('bulk')")
        db.execute("COMMIT")
        turns.committed()


def test_a_sqlite_bulk_loop_that_takes_turns_lets_another_process_write(tmp_path):
    """Without the pauses the other writer sleeps through the microseconds between two chunks and times out."""
    import multiprocessing
    import sqlite3
    import time

    path = str(tmp_path / "turns.db")
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (source TEXT)")
    hog = multiprocessing.get_context("fork").Process(target=_hog_writes, args=(path, 12))
    hog.start()
    try:
        writer, written = sqlite3.connect(path, timeout=2, isolation_level=None), 0
        time.sleep(0.2)
        for _ in range(6):
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO t VALUES ('live')")
            writer.execute("COMMIT")
            written += 1
    finally:
        hog.join(timeout=30)
    assert written == 6
    assert setup.execute("SELECT count(*) FROM t WHERE source = 'live'").fetchone()[0] == 6
