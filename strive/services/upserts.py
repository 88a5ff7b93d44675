"""INSERT ... ON CONFLICT DO UPDATE for ScannedUser rows, in plain SQL that SQLite and PostgreSQL both accept.

The ORM's bulk upsert prepares every column of every row through each field's Python hooks; for a 100-user page
that was the largest single cost of a poll. Values are adapted by the backend's own operations, as the ORM does.
"""

import json

from django.db import connection as db_connection
from django.utils import timezone

from strive.models import ScannedUser

ROWS_PER_STATEMENT = 70  # 70 rows x 13 columns stays under SQLite's oldest limit of 999 parameters.
COLUMNS = ("connection_id", "ak_user_id", "email", "first_name", "last_name", "phone", "phones", "snapshot", "status",
           "reason", "member_id", "ak_updated_at", "scanned_at")


def scanned_users_upsert(rows: list[ScannedUser], *, only_phones: bool = False) -> None:
    """Write these rows; on an existing (connection, user) update every column, or just `phones`."""
    if not rows:
        return
    table = ScannedUser._meta.db_table
    updates = ("phones",) if only_phones else COLUMNS[2:]
    adapt = db_connection.ops.adapt_datetimefield_value
    now = timezone.now()
    values = [(row.connection_id, row.ak_user_id, row.email, row.first_name, row.last_name, row.phone,
               json.dumps(row.phones or {}), json.dumps(row.snapshot or {}), row.status, row.reason, row.member_id,
               adapt(row.ak_updated_at), adapt(row.scanned_at or now)) for row in rows]
    placeholder = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    with db_connection.cursor() as cursor:
        for start in range(0, len(values), ROWS_PER_STATEMENT):  # One multi-row statement: one round trip.
            chunk = values[start:start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {', '.join([placeholder] * len(chunk))} "
                "ON CONFLICT (connection_id, ak_user_id) DO UPDATE SET "
                + ", ".join(f"{column} = excluded.{column}" for column in updates),
                [value for row in chunk for value in row])
