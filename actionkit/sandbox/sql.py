"""``POST /rest/v1/report/run/sql/``: ActionKit's ad-hoc SQL report, read-only, over the sandbox's own tables.

A query names tables as ActionKit's database does (``core_user``, ``core_userfield.parent_id`` ...). Each thread
keeps a read-only connection where those names are TEMP views over the sandbox tables, and an SQLite authorizer
lets a statement read those views and nothing else: no sandbox table (``staff`` holds passwords), no writes, no
PRAGMA or ATTACH. Only SELECT (or WITH) statements are run; anything else is a 400.

Body: ``{"query": "...", "refresh": bool, "cache_duration": seconds, "<param>": value}``; ``{{ param }}`` in the
query becomes a bound parameter, a list value becomes a comma-separated list (for ``IN``). The answer is a JSON
list of rows, each a list of column values (WeMove's tests pin ``[[42]]``). Results are cached per query and
parameters for ``cache_duration`` seconds unless ``refresh`` is set, the way ActionKit caches reports.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from pathlib import Path

from actionkit.sandbox.web import Response, json_response

PATH = "/rest/v1/report/run/sql/"
DEFAULT_CACHE_SECONDS = 600  # WeMove's client default; ActionKit's own default is not documented.
TIME_LIMIT_SECONDS = 10.0  # A runaway cross join must not hold a server thread.
RESERVED = frozenset({"query", "refresh", "cache_duration", "format"})
PARAM_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
FIRST_WORD_RE = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(\w+)", re.S)
USER_COLUMNS = (
    "id, email, prefix, first_name, middle_name, last_name, suffix, address1, address2, city, state, zip, plus4, "
    "postal, region, country, lang, source, subscription_status, created_at, updated_at"
)
TABLES = {  # ActionKit table -> the SELECT behind its view (ActionKit column names)
    "core_user": f"SELECT {USER_COLUMNS} FROM main.user",
    "core_phone": "SELECT id, user_id, type, phone, normalized_phone, source, created_at, updated_at FROM main.phone",
    # Unverified: core_userfield's own updated_at (AK's tables carry created_at/updated_at as a rule).
    "core_userfield": "SELECT id, user_id AS parent_id, name, value, updated_at FROM main.userfield",
    "core_usergroup": "SELECT id, name, created_at, updated_at FROM main.usergroup",
    # Unverified (docs/actionkit-compatibility.md, row 9): the membership table's name; Django's default for a User.groups M2M.
    "core_user_groups": "SELECT rowid AS id, user_id, usergroup_id FROM main.usergroup_member",
    "core_page": "SELECT id, name, title, type, hidden, status, created_at, updated_at FROM main.page",
    "core_action": "SELECT id, user_id, page_id, source, status, created_user, subscribed_user, created_at, "
    "updated_at FROM main.action",
    "core_actionfield": "SELECT id, action_id AS parent_id, name, value FROM main.actionfield",
}

BACKING_TABLES = frozenset(re.findall(r"FROM main\.(\w+)", " ".join(TABLES.values())))


class QueryRejected(ValueError):
    pass


class SqlReports:
    def __init__(self, db_path: str):
        self.uri = Path(db_path).resolve().as_uri() + "?mode=ro"
        self._local = threading.local()
        self._cache: dict[tuple[str, str], tuple[float, list]] = {}
        self._lock = threading.Lock()

    def run(self, data: dict) -> Response:
        try:
            sql, args = compile_query(data)
        except QueryRejected as exc:
            return json_response(400, {"error": str(exc)})
        key, now = (sql, json.dumps(args)), time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now and not data.get("refresh"):
            return json_response(200, hit[1])
        try:
            rows = [list(row) for row in self._execute(sql, args)]
        except sqlite3.Error as exc:
            return json_response(400, {"error": f"Query failed: {exc}"})
        with self._lock:
            self._cache[key] = (now + float(data.get("cache_duration") or DEFAULT_CACHE_SECONDS), rows)
        response = json_response(200, rows)
        response.records = max(1, len(rows))
        return response

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def _execute(self, sql: str, args: list) -> list:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _read_only(self.uri)
        deadline = time.monotonic() + TIME_LIMIT_SECONDS
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        return conn.execute(sql, args).fetchall()


def compile_query(data: dict) -> tuple[str, list]:
    """The query with ``{{ param }}`` turned into ``?`` and its arguments; raises QueryRejected."""
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise QueryRejected("A query is required.")
    first = FIRST_WORD_RE.match(query)
    if first is None or first[1].upper() not in ("SELECT", "WITH"):
        raise QueryRejected("Only SELECT queries can be run.")
    args: list = []

    def bind(match: re.Match) -> str:
        name = match[1]
        if name in RESERVED or name not in data:
            raise QueryRejected(f"No value was sent for {{{{ {name} }}}}.")
        values = data[name] if isinstance(data[name], list) else [data[name]]
        args.extend(str(v) if isinstance(v, dict | list) else v for v in values)
        return ", ".join("?" * len(values)) or "NULL"

    return PARAM_RE.sub(bind, query), args


def _read_only(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    for name, select in TABLES.items():
        conn.execute(f"CREATE TEMP VIEW {name} AS {select}")
    conn.set_authorizer(_authorize)
    return conn


def _authorize(action: int, table, column, database, inner) -> int:
    """Reads of the ActionKit views (and of sandbox tables from inside them), SELECT itself and functions.

    A flattened view can read its backing table with no column at all (``COUNT(*)``) and no view named; that
    touches no data, so it is allowed for the tables behind the views, never for ``staff``."""
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action != sqlite3.SQLITE_READ:
        return sqlite3.SQLITE_DENY
    if (database == "temp" and table in TABLES) or inner in TABLES:
        return sqlite3.SQLITE_OK
    if column == "" and database == "main" and table in BACKING_TABLES:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY
