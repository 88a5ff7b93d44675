"""Row -> ActionKit JSON for each resource; batch lookups so a 100-row page costs a handful of queries."""

from __future__ import annotations

import sqlite3

API = "/rest/v1/"


def uri(resource: str, pk) -> str:
    return f"{API}{resource}/{pk}/"


def page_uri(page_type: str, pk) -> str:
    return uri(f"{page_type.lower()}page", pk)


def action_uri(action_type: str, pk) -> str:
    return uri(f"{action_type.lower()}action", pk)


def _in(conn: sqlite3.Connection, sql: str, ids: list) -> list[sqlite3.Row]:
    if not ids:
        return []
    return conn.execute(sql.format(",".join("?" * len(ids))), ids).fetchall()


def _uris_by_parent(conn: sqlite3.Connection, sql: str, ids: list, resource: str) -> dict[int, list[str]]:
    """A to-many link for a page of parents: `sql` selects (child id, parent id) WHERE parent IN ({}), and each
    parent gets its children's resource URIs in the order the query returns them."""
    found: dict[int, list[str]] = {i: [] for i in ids}
    for child_id, parent_id in _in(conn, sql, ids):
        found[parent_id].append(uri(resource, child_id))
    return found


def users(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict]:
    ids = [r["id"] for r in rows]
    fields: dict[int, dict] = {i: {} for i in ids}
    for f in _in(conn, "SELECT user_id, name, value FROM userfield WHERE user_id IN ({})", ids):
        fields[f["user_id"]][f["name"]] = f["value"]
    phones = _uris_by_parent(conn, "SELECT id, user_id FROM phone WHERE user_id IN ({}) ORDER BY id", ids, "phone")
    groups = _uris_by_parent(conn, "SELECT usergroup_id, user_id FROM usergroup_member WHERE user_id IN ({})", ids,
                             "usergroup")
    return [_user(r, fields[r["id"]], phones[r["id"]], groups[r["id"]]) for r in rows]


def _user(row, fields, phones, groups) -> dict:
    data = dict(row)
    pk = data["id"]
    return {
        **data,
        "fields": fields,
        "phones": phones,
        "groups": groups,
        "resource_uri": uri("user", pk),
        "actions": f"{API}action/?user={pk}",
        "orders": f"{API}order/?user={pk}",
        "orderrecurrings": f"{API}orderrecurring/?user={pk}",
        "subscriptionhistory": f"{API}subscriptionhistory/?user={pk}",
    }


def phones(conn, rows) -> list[dict]:
    return [{**dict(r), "user": uri("user", r["user_id"]), "resource_uri": uri("phone", r["id"])} for r in rows]


def userfields(conn, rows) -> list[dict]:
    return [{**dict(r), "user": uri("user", r["user_id"]), "resource_uri": uri("userfield", r["id"])} for r in rows]


def allowed_fields(conn, rows) -> list[dict]:
    return [
        {
            **dict(r),
            "allow_multiple": False,
            "always_show": False,
            "hidden": False,
            "required": False,
            "resource_uri": uri("alloweduserfield", r["name"]),
        }
        for r in rows
    ]


def pages(conn, rows) -> list[dict]:
    return [
        {
            **dict(r),
            "hidden": bool(r["hidden"]),
            "resource_uri": page_uri(r["type"], r["id"]),
            "groups": [],
            "tags": [],
            "fields": {},
            "list": uri("list", 1),
            "actions": f"{API}action/?page={r['id']}",
            "followup": {"send_email": False, "send_pushes": False},
        }
        for r in rows
    ]


def actions(conn, rows) -> list[dict]:
    ids = [r["id"] for r in rows]
    fields: dict[int, dict] = {i: {} for i in ids}
    for f in _in(conn, "SELECT action_id, name, value FROM actionfield WHERE action_id IN ({}) ORDER BY id", ids):
        fields[f["action_id"]][f["name"]] = f["value"]
    page_types = {
        r["id"]: r["type"]
        for r in _in(conn, "SELECT id, type FROM page WHERE id IN ({})", sorted({r["page_id"] for r in rows}))
    }
    return [_action(r, fields[r["id"]], page_types.get(r["page_id"], r["type"])) for r in rows]


def _action(row, fields, page_type) -> dict:
    data = dict(row)
    user_id, page_id = data.pop("user_id"), data.pop("page_id")
    return {
        **data,
        "akid": f".{user_id}.sbx",
        "user": uri("user", user_id),
        "page": page_uri(page_type, page_id),
        "fields": fields,
        "created_user": bool(row["created_user"]),
        "subscribed_user": bool(row["subscribed_user"]),
        "resource_uri": action_uri(row["type"], row["id"]),
        "mailing": None,
        "referring_user": None,
    }


def usergroups(conn, rows) -> list[dict]:
    return [{**dict(r), "resource_uri": uri("usergroup", r["id"])} for r in rows]


def orders(conn, rows) -> list[dict]:
    ids = [r["id"] for r in rows]
    trans = _uris_by_parent(conn, "SELECT id, order_id FROM transactions WHERE order_id IN ({}) ORDER BY id", ids,
                            "transaction")
    recurring = _uris_by_parent(conn, "SELECT id, order_id FROM orderrecurring WHERE order_id IN ({})", ids,
                                "orderrecurring")
    return [
        {
            **dict(r),
            "user": uri("user", r["user_id"]),
            "action": uri("donationaction", r["action_id"]),
            "transactions": trans[r["id"]],
            "orderrecurrings": recurring[r["id"]],
            "total_converted": r["total"],
            "resource_uri": uri("order", r["id"]),
        }
        for r in rows
    ]


def transactions(conn, rows) -> list[dict]:
    return [
        {
            **dict(r),
            "success": bool(r["success"]),
            "order": uri("order", r["order_id"]),
            "resource_uri": uri("transaction", r["id"]),
        }
        for r in rows
    ]


def recurrings(conn, rows) -> list[dict]:
    return [
        {
            **dict(r),
            "user": uri("user", r["user_id"]),
            "order": uri("order", r["order_id"]),
            "action": uri("donationaction", r["action_id"]),
            "resource_uri": uri("orderrecurring", r["id"]),
        }
        for r in rows
    ]
