"""Read side of the REST API: resource table, filters, ordering and tastypie-style pagination."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from actionkit.sandbox import serializers as s
from actionkit.sandbox.web import Request, Response, empty, json_response

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
PAGE_TYPES = (
    "call",
    "donation",
    "eventcreate",
    "eventsignup",
    "import",
    "letter",
    "lte",
    "petition",
    "recurringdonation",
    "signup",
    "survey",
    "unsubscribe",
    "userupdate",
)
SINCE = {
    "updated_at__gte": "updated_at >= ?",
    "updated_at__gt": "updated_at > ?",
    "updated_at__lte": "updated_at <= ?",
    "created_at__gte": "created_at >= ?",
}


@dataclass(frozen=True)
class Resource:
    table: str
    serialize: Callable[[sqlite3.Connection, list], list[dict]]
    filters: dict[str, str] = field(default_factory=dict)  # param -> SQL with one "?" ("{}" for __in lists)
    ordering: frozenset[str] = frozenset({"id"})
    key: str = "id"
    scope: str = ""  # Extra fixed WHERE clause (typed page resources).


TIMES = frozenset({"id", "created_at", "updated_at"})
RESOURCES: dict[str, Resource] = {
    "user": Resource(
        "user",
        s.users,
        {
            "id": "id = ?",
            "email": "email = ?",
            **SINCE,
            "groups": "id IN (SELECT user_id FROM usergroup_member WHERE usergroup_id = ?)",
        },
        TIMES | {"email", "last_name"},
    ),
    "phone": Resource("phone", s.phones, {"user": "user_id = ?", "type": "type = ?", **SINCE}, TIMES),
    "alloweduserfield": Resource(
        "alloweduserfield", s.allowed_fields, {"name": "name = ?"}, frozenset({"name"}), key="name"
    ),
    "userfield": Resource("userfield", s.userfields, {"user": "user_id = ?", "name": "name = ?"}),
    "page": Resource(
        "page", s.pages, {"id": "id = ?", "name": "name = ?", "type": "type = ?", **SINCE}, TIMES | {"name"}
    ),
    "action": Resource(
        "action",
        s.actions,
        {"id": "id = ?", "page": "page_id = ?", "page__in": "page_id IN ({})", "user": "user_id = ?", **SINCE},
        TIMES,
    ),
    "usergroup": Resource("usergroup", s.usergroups, {"name": "name = ?", **SINCE}, TIMES | {"name"}),
    "order": Resource(
        "orders",
        s.orders,
        {
            "user": "user_id = ?",
            "import_id": "import_id = ?",
            "status": "status = ?",
            "account": "account = ?",
            **SINCE,
        },
        TIMES,
    ),
    "transaction": Resource("transactions", s.transactions, {"order": "order_id = ?", **SINCE}, TIMES),
    "orderrecurring": Resource(
        "orderrecurring",
        s.recurrings,
        {"user": "user_id = ?", "status": "status = ?", "recurring_id": "recurring_id = ?", **SINCE},
        TIMES,
    ),
}


def page_type_name(kind: str) -> str:
    return {
        "lte": "LTE",
        "eventcreate": "EventCreate",
        "eventsignup": "EventSignup",
        "recurringdonation": "RecurringDonation",
        "userupdate": "UserUpdate",
    }.get(kind, kind.title())


for _kind in PAGE_TYPES:  # importpage/, petitionpage/ ... read the same table scoped to one type.
    base = RESOURCES["page"]
    RESOURCES[f"{_kind}page"] = Resource(
        "page", s.pages, base.filters, base.ordering, scope=f"type = '{page_type_name(_kind)}'"
    )
    RESOURCES[f"{_kind}action"] = RESOURCES["action"]


class BadQuery(ValueError):
    pass


def list_objects(
    conn: sqlite3.Connection,
    name: str,
    request: Request,
    *,
    ignore_unknown_in: frozenset[str] | None = None,
    hidden: frozenset[str] = frozenset(),
) -> Response:
    """One page of ``name``. With ``ignore_unknown_in`` (the resource's field names), a filter on any other field is
    dropped as tastypie drops it (quirk unknown_filters_ignored); otherwise it is a 400. Filters on ``hidden``
    fields count as unknown (quirk users_without_groups)."""
    res = RESOURCES[name]
    try:
        where, args = _where(res, request.query, ignore_unknown_in, hidden)
        order = _order(res, request.query.get("order_by", []))
        limit, offset = _window(request)
    except BadQuery as exc:
        return json_response(400, {"error": str(exc)})
    sql_where = f" WHERE {' AND '.join(where)}" if where else ""
    total = conn.execute(f"SELECT COUNT(*) FROM {res.table}{sql_where}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM {res.table}{sql_where} ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, offset]
    ).fetchall()
    meta = {
        "limit": limit,
        "offset": offset,
        "total_count": total,
        "next": _link(request, limit, offset + limit) if offset + limit < total else None,
        "previous": _link(request, limit, max(0, offset - limit)) if offset else None,
    }
    response = json_response(200, {"meta": meta, "objects": res.serialize(conn, rows)})
    response.records = max(1, len(rows))
    return response


def get_object(conn: sqlite3.Connection, name: str, key: str) -> Response:
    res = RESOURCES[name]
    scope = f" AND {res.scope}" if res.scope else ""
    row = conn.execute(f"SELECT * FROM {res.table} WHERE {res.key} = ?{scope}", (key,)).fetchone()
    return json_response(200, res.serialize(conn, [row])[0]) if row else empty(404)


def _where(
    res: Resource, query: dict[str, list[str]], ignore_unknown_in: frozenset[str] | None, hidden: frozenset[str]
) -> tuple[list, list]:
    where, args = ([res.scope] if res.scope else []), []
    for param, values in query.items():
        if param.startswith("_") or param in ("order_by", "format"):
            continue
        field, _, lookup = param.partition("__")
        sql = None if field in hidden else res.filters.get(param)
        if sql is None and ignore_unknown_in is not None and field not in ignore_unknown_in:
            continue  # tastypie: "It's not a field we know about. Move along citizen."
        if sql is None:
            raise BadQuery(_filter_error(res, field, lookup))
        if "{}" in sql or len(values) > 1:  # __in lists and repeated parameters both mean "any of".
            items = [v for value in values for v in value.split(",")] if "{}" in sql else values
            sql = (
                sql.replace("{}", ",".join("?" * len(items)))
                if "{}" in sql
                else sql.replace("= ?", f"IN ({','.join('?' * len(items))})")
            )
            where.append(sql)
            args.extend(items)
        else:
            where.append(sql)
            args.append(values[0])
    return where, args


def _filter_error(res: Resource, field: str, lookup: str) -> str:
    """tastypie's check_filtering messages: the field is not filterable, or not with that lookup."""
    if lookup and any(p == field or p.startswith(f"{field}__") for p in res.filters):
        return f"'{lookup}' is not an allowed filter on the '{field}' field."
    return f"The '{field}' field does not allow filtering."


def _order(res: Resource, fields: list[str]) -> str:
    parts = []
    for spec in fields:
        name = spec.lstrip("-")
        if name not in res.ordering:
            raise BadQuery(f"No matching '{name}' field for ordering on.")
        parts.append(f"{name} {'DESC' if spec.startswith('-') else 'ASC'}")
    if not any(p.startswith(f"{res.key} ") for p in parts):
        parts.append(f"{res.key} ASC")  # A stable tiebreak, like a real paging client needs.
    return ", ".join(parts)


def _window(request: Request) -> tuple[int, int]:
    try:
        limit = int(request.param("_limit", DEFAULT_LIMIT))
        offset = int(request.param("_offset", 0))
    except ValueError as exc:
        raise BadQuery("Invalid _limit or _offset.") from exc
    return (MAX_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)), max(0, offset)


def _link(request: Request, limit: int, offset: int) -> str:
    query = {k: v for k, v in request.query.items() if k not in ("_limit", "_offset")}
    return f"{request.path}?{urlencode({**query, '_limit': limit, '_offset': offset}, doseq=True)}"
