"""Write side of the REST API: users, phones, fields, pages, usergroups and action processing."""

from __future__ import annotations

import re
import sqlite3

from actionkit.fields import USER_CORE_FIELDS
from actionkit.sandbox import db
from actionkit.sandbox.serializers import action_uri, uri
from actionkit.sandbox.web import Response, empty, json_response

CORE_FIELDS = USER_CORE_FIELDS  # The columns of the sandbox user table besides email.


def _id(value) -> int | None:
    text = str(value or "").rstrip("/").rsplit("/", 1)[-1]
    return int(text) if text.isdigit() else None


def user_find(conn: sqlite3.Connection, email: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM user WHERE email = ?", (email.strip().lower(),)).fetchone()


def user_upsert(conn, *, email: str, core: dict, fields: dict, source: str, status: str | None) -> tuple[int, bool]:
    """Find or create by email; apply core fields and custom fields; stamp updated_at. Returns (id, created)."""
    ts, row = db.now(), user_find(conn, email)
    values = {k: str(v) for k, v in core.items() if k in CORE_FIELDS and v is not None}
    if row is None:
        cols = ["email", "source", "subscription_status", "created_at", "updated_at", *values]
        args = [email.strip().lower(), source, status or "subscribed", ts, ts, *values.values()]
        user_id = conn.execute(
            f"INSERT INTO user ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})", args
        ).lastrowid
    else:
        user_id = row["id"]
        if status:
            values["subscription_status"] = status
        sets = "".join(f", {k} = ?" for k in values)
        conn.execute(f"UPDATE user SET updated_at = ?{sets} WHERE id = ?", [ts, *values.values(), user_id])
    fields_set(conn, user_id, fields)
    return user_id, row is None


def fields_set(conn, user_id: int, fields: dict, *, touch_user: bool = True) -> None:
    """Upsert userfield rows; ``touch_user`` bumps the user's updated_at (quirk phone_field_writes_keep_updated_at)."""
    conn.executemany(
        "INSERT INTO userfield (user_id, name, value, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [(user_id, k, str(v), db.now()) for k, v in fields.items()],
    )
    if fields and touch_user:
        conn.execute("UPDATE user SET updated_at = ? WHERE id = ?", (db.now(), user_id))


def phone_add(
    conn, user_id: int, phone: str, kind: str = "home", source: str = "api", *, touch_user: bool = True
) -> int:
    ts = db.now()
    digits = re.sub(r"\D", "", phone)
    existing = conn.execute(
        "SELECT id FROM phone WHERE user_id = ? AND normalized_phone = ?", (user_id, digits)
    ).fetchone()
    if existing:
        return existing["id"]
    if touch_user:
        conn.execute("UPDATE user SET updated_at = ? WHERE id = ?", (ts, user_id))
    return conn.execute(
        "INSERT INTO phone (user_id, type, phone, normalized_phone, source, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, kind, phone, digits, source, ts, ts),
    ).lastrowid


def conflict(email: str, user_id: int) -> Response:
    location = uri("user", user_id)
    message = f"Conflict on unique key 'email' for value '{email}', existing location: {location}"
    return json_response(409, {"errors": {"email": [message]}}, [("Location", location)])


def user_create(conn, data: dict) -> Response:
    email = str(data.get("email") or "").strip().lower()
    if not email:
        return json_response(400, {"errors": {"email": ["This field is required."]}})
    with db.write(conn):
        if (row := user_find(conn, email)) is not None:
            return conflict(email, row["id"])
        user_id, _ = user_upsert(
            conn,
            email=email,
            core=data,
            fields=data.get("fields") or {},
            source=data.get("source", ""),
            status=data.get("subscription_status"),
        )
        _groups_set(conn, user_id, data.get("groups"))
    return empty(201, [("Location", uri("user", user_id))])


def user_update(conn, user_id: int, data: dict) -> Response:
    with db.write(conn):
        row = conn.execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()
        if row is None:
            return empty(404)
        email = str(data.get("email") or row["email"]).strip().lower()
        other = user_find(conn, email)
        if other is not None and other["id"] != user_id:
            return conflict(email, other["id"])
        conn.execute("UPDATE user SET email = ? WHERE id = ?", (email, user_id))
        user_upsert(
            conn,
            email=email,
            core=data,
            fields=data.get("fields") or {},
            source="",
            status=data.get("subscription_status"),
        )
        _groups_set(conn, user_id, data.get("groups"))
    return empty(202)


def _groups_set(conn, user_id: int, groups) -> None:
    if groups is None:
        return
    ids = [_id(g if isinstance(g, str | int) else g.get("resource_uri")) for g in groups]
    conn.execute("DELETE FROM usergroup_member WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO usergroup_member (usergroup_id, user_id) VALUES (?, ?)", [(g, user_id) for g in ids if g]
    )
    conn.execute("UPDATE user SET updated_at = ? WHERE id = ?", (db.now(), user_id))


def phone_create(conn, data: dict, *, touch_user: bool = True) -> Response:
    user_id = _id(data.get("user"))
    if not user_id or not data.get("phone"):
        return json_response(400, {"errors": {"phone": ["user and phone are required."]}})
    with db.write(conn):
        kind = data.get("type") or data.get("phone_type") or "home"
        phone_id = phone_add(conn, user_id, str(data["phone"]), kind, data.get("source", "api"), touch_user=touch_user)
    return empty(201, [("Location", uri("phone", phone_id))])


def allowed_field_create(conn, data: dict) -> Response:
    name = str(data.get("name") or "")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        return json_response(400, {"alloweduserfield": {"name": ["Enter a valid name."]}})
    ts = db.now()
    with db.write(conn):
        conn.execute(
            "INSERT OR IGNORE INTO alloweduserfield (name, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (name, data.get("display_name", name), ts, ts),
        )
    return empty(201, [("Location", uri("alloweduserfield", name))])


def userfield_create(conn, data: dict, *, touch_user: bool = True) -> Response:
    user_id = _id(data.get("user"))
    if not user_id or not data.get("name"):
        return json_response(400, {"errors": {"userfield": ["user and name are required."]}})
    with db.write(conn):
        fields_set(conn, user_id, {data.get("name"): data.get("value", "")}, touch_user=touch_user)
        row = conn.execute(
            "SELECT id FROM userfield WHERE user_id = ? AND name = ?", (user_id, data.get("name"))
        ).fetchone()
    return empty(201, [("Location", uri("userfield", row["id"]))])


def page_create(conn, data: dict, *, kind: str = "Import", resource: str = "importpage") -> Response:
    name = str(data.get("name") or "")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return json_response(400, {resource: {"name": ["Enter a valid short name."]}})
    ts = db.now()
    with db.write(conn):
        if conn.execute("SELECT 1 FROM page WHERE name = ?", (name,)).fetchone():
            return json_response(400, {resource: {"name": ["Page with this Short name already exists."]}})
        page_id = conn.execute(
            "INSERT INTO page (type, name, title, hidden, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 'active', ?, ?)",
            (kind, name, data.get("title", name), int(bool(data.get("hidden"))), ts, ts),
        ).lastrowid
    return empty(201, [("Location", uri(resource, page_id))])


def usergroup_create(conn, data: dict) -> Response:
    ts = db.now()
    with db.write(conn):
        gid = conn.execute(
            "INSERT INTO usergroup (name, created_at, updated_at) VALUES (?, ?, ?)", (data.get("name", ""), ts, ts)
        ).lastrowid
    return empty(201, [("Location", uri("usergroup", gid))])


def action_insert(
    conn, *, user_id: int, page: sqlite3.Row, source: str, fields: dict, created: bool, action_type: str | None = None
) -> int:
    ts = db.now()
    action_id = conn.execute(
        "INSERT INTO action (user_id, page_id, type, source, status, created_user, subscribed_user, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 'complete', ?, ?, ?, ?)",
        (user_id, page["id"], action_type or page["type"], source, int(created), int(created), ts, ts),
    ).lastrowid
    conn.executemany(
        "INSERT INTO actionfield (action_id, name, value) VALUES (?, ?, ?)",
        [(action_id, k, str(v)) for k, v in fields.items()],
    )
    return action_id


def action_process(conn, data: dict) -> Response:
    """POST /rest/v1/action/: page short name + email; user_* become user fields, action_* action fields."""
    page_name, email = str(data.get("page") or ""), str(data.get("email") or "").strip().lower()
    page = conn.execute("SELECT * FROM page WHERE name = ?", (page_name,)).fetchone()
    if page is None:
        return json_response(400, {"page": f"Unable to find a page for processing. You sent page={page_name}"})
    if "@" not in email:
        return json_response(400, {"errors": {"email": ["Enter a valid email address."]}})
    user_fields = {k[5:]: v for k, v in data.items() if k.startswith("user_")}
    action_fields = {k[7:]: v for k, v in data.items() if k.startswith("action_")}
    source = str(data.get("source") or "restful_api")
    with db.write(conn):
        user_id, created = user_upsert(conn, email=email, core=data, fields=user_fields, source=source, status=None)
        if data.get("phone"):
            phone_add(conn, user_id, str(data["phone"]), "home", "user")
        action_id = action_insert(
            conn, user_id=user_id, page=page, source=source, fields=action_fields, created=created
        )
    body = {
        "id": action_id,
        "akid": f".{user_id}.sbx",
        "user": uri("user", user_id),
        "created_user": created,
        "subscribed_user": created,
        "fields": {k: str(v) for k, v in action_fields.items()},
        "source": source,
        "status": "complete",
        "page": uri(f"{page['type'].lower()}page", page["id"]),
        "resource_uri": action_uri(page["type"], action_id),
    }
    return json_response(201, body, [("Location", action_uri(page["type"], action_id))])
