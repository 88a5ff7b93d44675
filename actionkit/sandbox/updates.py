"""Detail writes on existing rows: PATCH/PUT phone, userfield and typed actions, DELETE user.

Each function takes ``(conn, pk, data, touch_user)`` so the app can route them from one table; ``touch_user`` says
whether a phone or userfield write bumps the owning user's updated_at (quirk phone_field_writes_keep_updated_at).
Answers are tastypie's: 202 for an update, 204 for a delete, 404 for a missing row (the app turns a PUT's 202
into 204).
"""

from __future__ import annotations

import re
import sqlite3

from actionkit.sandbox import db, writes
from actionkit.sandbox.web import Response, empty, json_response

ACTION_FIELDS = ("source", "status", "created_at")  # Columns a PATCH may set; WeMove PATCHes created_at.


def user_update(conn: sqlite3.Connection, pk: int, data: dict, touch_user: bool) -> Response:
    return writes.user_update(conn, pk, data)  # A user write is the user's own: updated_at always moves.


def user_delete(conn: sqlite3.Connection, pk: int, data: dict, touch_user: bool) -> Response:
    """Remove the user with its phones, fields, memberships and actions. Orders stay: the ActBlue endpoint's
    duplicate detection keys on them, and a real instance keeps money records too."""
    with db.write(conn):
        if conn.execute("DELETE FROM user WHERE id = ?", (pk,)).rowcount == 0:
            return empty(404)
        for table in ("phone", "userfield", "usergroup_member"):
            conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (pk,))
        conn.execute("DELETE FROM actionfield WHERE action_id IN (SELECT id FROM action WHERE user_id = ?)", (pk,))
        conn.execute("DELETE FROM action WHERE user_id = ?", (pk,))
    return empty(204)


def phone_update(conn: sqlite3.Connection, pk: int, data: dict, touch_user: bool) -> Response:
    def change(row, ts: str) -> None:
        number = str(data.get("phone") or row["phone"])
        kind = data.get("type") or data.get("phone_type") or row["type"]
        conn.execute(
            "UPDATE phone SET phone = ?, normalized_phone = ?, type = ?, source = ?, updated_at = ? WHERE id = ?",
            (number, re.sub(r"\D", "", number), kind, data.get("source", row["source"]), ts, pk),
        )

    return _owned_row_update(conn, "phone", pk, change, touch_user)


def userfield_update(conn: sqlite3.Connection, pk: int, data: dict, touch_user: bool) -> Response:
    def change(row, ts: str) -> None:
        conn.execute("UPDATE userfield SET value = ?, updated_at = ? WHERE id = ?",
                     (str(data.get("value", row["value"])), ts, pk))

    return _owned_row_update(conn, "userfield", pk, change, touch_user)


def _owned_row_update(conn: sqlite3.Connection, table: str, pk: int, change, touch_user: bool) -> Response:
    """Run ``change(row, timestamp)`` on one row a user owns, then move the user's updated_at unless told not to."""
    with db.write(conn):
        row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (pk,)).fetchone()
        if row is None:
            return empty(404)
        ts = db.now()
        change(row, ts)
        if touch_user:
            conn.execute("UPDATE user SET updated_at = ? WHERE id = ?", (ts, row["user_id"]))
    return empty(202)


def action_update(conn: sqlite3.Connection, pk: int, data: dict, touch_user: bool) -> Response:
    """``fields`` replaces every action field: a PATCH of ``fields`` is a full replacement, as ActionKit treats it."""
    fields = data.get("fields")
    if fields is not None and not isinstance(fields, dict):
        return json_response(400, {"errors": {"fields": ["Expected an object."]}})
    with db.write(conn):
        if conn.execute("SELECT 1 FROM action WHERE id = ?", (pk,)).fetchone() is None:
            return empty(404)
        values = {k: str(data[k]) for k in ACTION_FIELDS if data.get(k) is not None}
        values.setdefault("updated_at", db.now())
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE action SET {sets} WHERE id = ?", [*values.values(), pk])
        if fields is not None:
            conn.execute("DELETE FROM actionfield WHERE action_id = ?", (pk,))
            conn.executemany(
                "INSERT INTO actionfield (action_id, name, value) VALUES (?, ?, ?)",
                [(pk, k, str(v)) for k, v in fields.items()],
            )
    return empty(202)
