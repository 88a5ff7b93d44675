"""``GET /rest/v1/<resource>/schema/``: tastypie's ``Resource.build_schema`` shape for every resource.

The field list comes from serializing one sample row of the resource's table in an empty in-memory copy of the
sandbox schema, so the schema names exactly the keys a real object of that resource carries. Types and help texts
are tastypie's (``tastypie/fields.py``); filtering and ordering come from the resource table in ``resources``.
"""

from __future__ import annotations

import sqlite3
from functools import cache

from actionkit.sandbox import db
from actionkit.sandbox.resources import DEFAULT_LIMIT, RESOURCES

NO_DEFAULT = "No default provided."  # tastypie's NOT_PROVIDED, as its schema prints it
HELP = {  # tastypie's default help_text per field type
    "string": 'Unicode string data. Ex: "Hello World"',
    "integer": "Integer data. Ex: 2673",
    "float": "Floating point numeric data. Ex: 26.73",
    "boolean": "Boolean data. Ex: True",
    "datetime": 'A date & time as a string. Ex: "2010-11-10T03:07:43"',
    "dict": "A dictionary of data. Ex: {'price': 26.73, 'name': 'Daniel'}",
    "list": "A list of data. Ex: ['abc', 26.73, 8]",
    "to_one": "A single related resource. Can be either a URI or set of nested resource data.",
    "to_many": "Many related resources. Can be either a list of URIs or list of individually nested resource data.",
}
TO_MANY = frozenset({"phones", "groups", "tags", "transactions", "orderrecurrings"})  # lists of resource URIs
TO_ONE_NULLABLE = frozenset({"mailing", "referring_user"})  # URIs the sandbox always sends as null
SAMPLE = {"INTEGER": 1, "TEXT": "Import"}  # "Import" is a valid page type, the one text column that must be one


def build(name: str, *, list_methods: list[str], detail_methods: list[str]) -> dict:
    res = RESOURCES[name]
    filtering: dict[str, list[str]] = {}
    for param in res.filters:
        field, _, lookup = param.partition("__")
        filtering.setdefault(field, []).append(lookup or "exact")
    return {
        "fields": fields(name),
        "default_format": "application/json",
        "allowed_list_http_methods": list_methods,
        "allowed_detail_http_methods": detail_methods,
        "default_limit": DEFAULT_LIMIT,
        "filtering": filtering,
        "ordering": sorted(res.ordering),
    }


@cache
def fields(name: str) -> dict[str, dict]:
    conn = _empty_db()
    table = RESOURCES[name].table
    columns = {c["name"]: c for c in conn.execute(f"PRAGMA table_info({table})")}
    unique = _unique_columns(conn, table)
    sample = {c: SAMPLE.get(info["type"], "x") for c, info in columns.items()}
    [obj] = RESOURCES[name].serialize(conn, [sample])
    return {key: _field(key, value, columns.get(key), key in unique) for key, value in obj.items()}


def field_names(name: str) -> frozenset[str]:
    return frozenset(fields(name))


def _field(key: str, value, column, unique: bool) -> dict:
    kind, related = _type(key, value)
    default = NO_DEFAULT
    if column is not None and column["dflt_value"] is not None:
        default = column["dflt_value"].strip("'")
    spec = {
        "default": default,
        "type": kind,
        "nullable": value is None or (column is not None and not column["notnull"] and not column["pk"]),
        "blank": default == "",
        "readonly": key in ("resource_uri", "akid") or (isinstance(value, str) and "?" in value),
        "help_text": HELP[related or kind],
        "unique": unique or bool(column is not None and column["pk"]),
        "primary_key": bool(column is not None and column["pk"]),
        "verbose_name": key.replace("_", " "),
    }
    return {**spec, "related_type": related} if related else spec


def _type(key: str, value) -> tuple[str, str | None]:
    """(tastypie type, related_type or None) for one serialized value."""
    if key in TO_MANY and isinstance(value, list):
        return "related", "to_many"
    if key in TO_ONE_NULLABLE or (isinstance(value, str) and value.startswith("/rest/v1/") and "?" not in value):
        return ("string", None) if key == "resource_uri" else ("related", "to_one")
    if isinstance(value, bool):
        return "boolean", None
    if isinstance(value, int):
        return "integer", None
    if isinstance(value, float):
        return "float", None
    if isinstance(value, dict):
        return "dict", None
    if isinstance(value, list):
        return "list", None
    if key.endswith("_at") or key == "start":
        return "datetime", None
    return "string", None


def _unique_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    found = set()
    for index in conn.execute(f"PRAGMA index_list({table})"):
        cols = [c["name"] for c in conn.execute(f"PRAGMA index_info({index['name']})")]
        if index["unique"] and len(cols) == 1:
            found.add(cols[0])
    return found


@cache
def _empty_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)  # Read-only use after setup; never written again.
    conn.row_factory = sqlite3.Row
    conn.executescript(db.SCHEMA)
    return conn
