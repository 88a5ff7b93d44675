"""INSERT ... ON CONFLICT DO UPDATE for ScannedUser rows, in plain SQL that SQLite and PostgreSQL both accept.

The ORM's bulk upsert prepares every column of every row through each field's Python hooks; for a 100-user page
that was the largest single cost of a poll. Values are adapted by the backend's own operations, as the ORM does.
A page is one statement where the backend allows it (SQLite caps a statement at 999 parameters).
"""

import json

from django.db import connection as db_connection
from django.utils import timezone

from strive.models import ScannedUser

COLUMNS = ("connection_id", "ak_user_id", "email", "first_name", "last_name", "phone", "phones", "snapshot", "status",
           "reason", "member_id", "ak_updated_at", "scanned_at")


def scanned_users_upsert(rows: list[ScannedUser]) -> None:
    """Write these rows; on an existing (connection, user) update every column."""
    adapt = db_connection.ops.adapt_datetimefield_value
    now = timezone.now()
    _upsert([(row.connection_id, row.ak_user_id, row.email, row.first_name, row.last_name, row.phone,
              json.dumps(row.phones or {}), json.dumps(row.snapshot or {}), row.status, row.reason, row.member_id,
              adapt(row.ak_updated_at), adapt(row.scanned_at or now)) for row in rows], updates=COLUMNS[2:])


def scanned_user_phones_upsert(*, connection_id: int, phones: dict[int, dict]) -> None:
    """Set `phones` (ak user id -> that user's phones) on each user's row; a user not read yet gets a pending row."""
    now = db_connection.ops.adapt_datetimefield_value(timezone.now())
    pending = ScannedUser.Status.PENDING
    _upsert([(connection_id, user_id, "", "", "", "", json.dumps(found), "{}", pending, "", None, None, now)
             for user_id, found in phones.items()], updates=("phones",))


def _upsert(values: list[tuple], *, updates: tuple[str, ...]) -> None:
    if not values:
        return
    table = ScannedUser._meta.db_table
    limit = db_connection.features.max_query_params
    per_statement = limit // len(COLUMNS) if limit else len(values)
    placeholder = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    conflict = ("ON CONFLICT (connection_id, ak_user_id) DO UPDATE SET "
                + ", ".join(f"{column} = excluded.{column}" for column in updates))
    with db_connection.cursor() as cursor:
        for start in range(0, len(values), per_statement):
            chunk = values[start:start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {', '.join([placeholder] * len(chunk))} {conflict}",
                [value for row in chunk for value in row])
