"""What a bulk load owes the rest of the database: fresh planner statistics, and on SQLite, turns at the write lock.

Planner statistics, for tables a bulk load fills faster than autovacuum re-reads them.

A tenant's first sync can take a table from empty to 100,000 rows in a minute or two. Until the next ANALYZE,
PostgreSQL plans with the old statistics (or none: "a tiny table"), and it then reads "connection = X AND key IN
(...)" through the connection alone, visiting every row the tenant has on each page. PostgreSQL's own advice for bulk
loads is to ANALYZE afterwards; BulkLoadStats does it while the load runs, each time the rows written grow tenfold.

Turns at the write lock. SQLite has one writer at a time. A writer that finds the lock taken sleeps in SQLite's busy
handler, up to 100 ms a sleep, and tries again. A bulk loop that commits a chunk and at once begins the next leaves
the lock free for microseconds, so the other processes' writers (a backfill's planner, a user poll, the live send
scheduler) seldom win it and fail with "database is locked" after the 30 s busy timeout. WriteTurns makes a bulk loop
pause for longer than one busy sleep once it has written for a quarter of a second, and `chunk_seconds` keeps one
transaction of a bulk loop within that turn, so a live write waits a quarter of a second at most behind bulk work.
PostgreSQL locks rows, not the database, and pays nothing.
"""

import time

from django.db import connection as db_connection

FIRST_ANALYZE_AT = 2_000  # Rows written before the first ANALYZE; then at 20,000, 200,000 and so on.
WRITE_TURN_SECONDS = 0.25  # On SQLite, how long a bulk loop writes before it lets waiting writers in.
WRITE_PAUSE_SECONDS = 0.15  # Longer than the busy handler's longest sleep (100 ms), so every waiter tries once.


def tables_analyze(*models) -> None:
    """ANALYZE these models' tables on PostgreSQL (a sample of 30,000 rows each: tens of milliseconds)."""
    if db_connection.vendor != "postgresql" or not models:
        return
    tables = ", ".join(db_connection.ops.quote_name(model._meta.db_table) for model in models)
    with db_connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


class BulkLoadStats:
    """`stats.written(n)` after each committed page; ANALYZEs the models when the total passes each threshold."""

    def __init__(self, *models):
        self.models, self.total, self.next_at = models, 0, FIRST_ANALYZE_AT

    def written(self, rows: int) -> None:
        self.total += rows
        if self.total >= self.next_at:
            self.next_at *= 10
            tables_analyze(*self.models)


def chunk_seconds(seconds: float) -> float:
    """How long one transaction of a bulk loop should write: `seconds`, and on SQLite no more than a write turn."""
    return min(seconds, WRITE_TURN_SECONDS) if db_connection.vendor == "sqlite" else seconds


class WriteTurns:
    """`turns.committed()` after each committed chunk of a bulk loop; on SQLite it pauses the loop once it has
    written for WRITE_TURN_SECONDS since its last pause, so writers in other processes get the lock."""

    def __init__(self):
        self.since = time.monotonic()

    def committed(self) -> None:
        if db_connection.vendor != "sqlite" or time.monotonic() - self.since < WRITE_TURN_SECONDS:
            return
        time.sleep(WRITE_PAUSE_SECONDS)
        self.since = time.monotonic()
