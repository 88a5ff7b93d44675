"""SQLite state for the sandbox: schema, per-thread connections and a single-writer transaction helper.

WAL lets readers run beside the writer. Writes take one process-wide lock and ``BEGIN IMMEDIATE`` (plus a busy
timeout for other processes such as ``seed``), so concurrent requests never see "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME

SCHEMA = """
CREATE TABLE IF NOT EXISTS staff (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user (
  id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, prefix TEXT DEFAULT '', first_name TEXT DEFAULT '',
  middle_name TEXT DEFAULT '', last_name TEXT DEFAULT '', suffix TEXT DEFAULT '', address1 TEXT DEFAULT '',
  address2 TEXT DEFAULT '', city TEXT DEFAULT '', state TEXT DEFAULT '', zip TEXT DEFAULT '', plus4 TEXT DEFAULT '',
  postal TEXT DEFAULT '', region TEXT DEFAULT '', country TEXT DEFAULT 'United States', lang TEXT,
  source TEXT DEFAULT '', subscription_status TEXT NOT NULL DEFAULT 'subscribed',
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS user_updated ON user (updated_at, id);
CREATE TABLE IF NOT EXISTS phone (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, type TEXT, phone TEXT,
  normalized_phone TEXT, source TEXT DEFAULT 'api', created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS phone_user ON phone (user_id);
CREATE INDEX IF NOT EXISTS phone_updated ON phone (updated_at, id);
CREATE TABLE IF NOT EXISTS alloweduserfield (name TEXT PRIMARY KEY, display_name TEXT, field_type TEXT DEFAULT 'text',
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS userfield (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, name TEXT NOT NULL,
  value TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL DEFAULT '', UNIQUE (user_id, name));
CREATE TABLE IF NOT EXISTS page (id INTEGER PRIMARY KEY, type TEXT NOT NULL, name TEXT UNIQUE NOT NULL,
  title TEXT DEFAULT '', hidden INTEGER DEFAULT 0, status TEXT DEFAULT 'active',
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS page_updated ON page (updated_at, id);
CREATE TABLE IF NOT EXISTS action (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, page_id INTEGER NOT NULL,
  type TEXT NOT NULL, source TEXT DEFAULT 'restful_api', status TEXT DEFAULT 'complete',
  created_user INTEGER DEFAULT 0, subscribed_user INTEGER DEFAULT 0, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS action_updated ON action (updated_at, id);
DROP INDEX IF EXISTS action_page;
CREATE INDEX IF NOT EXISTS action_page_updated ON action (page_id, updated_at, id);
CREATE INDEX IF NOT EXISTS action_user ON action (user_id);
CREATE TABLE IF NOT EXISTS actionfield (id INTEGER PRIMARY KEY, action_id INTEGER NOT NULL, name TEXT NOT NULL,
  value TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS actionfield_action ON actionfield (action_id);
CREATE TABLE IF NOT EXISTS usergroup (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS usergroup_member (usergroup_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
  PRIMARY KEY (usergroup_id, user_id));
CREATE INDEX IF NOT EXISTS usergroup_member_user ON usergroup_member (user_id);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, action_id INTEGER,
  account TEXT NOT NULL, import_id TEXT, status TEXT NOT NULL, total TEXT NOT NULL, currency TEXT DEFAULT 'USD',
  payment_method TEXT DEFAULT 'cc', created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (account, import_id));
CREATE INDEX IF NOT EXISTS orders_user ON orders (user_id);
CREATE TABLE IF NOT EXISTS transactions (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, account TEXT,
  amount TEXT, currency TEXT DEFAULT 'USD', type TEXT, status TEXT, success INTEGER, trans_id TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS transactions_order ON transactions (order_id);
CREATE TABLE IF NOT EXISTS orderrecurring (id INTEGER PRIMARY KEY, order_id INTEGER, action_id INTEGER,
  user_id INTEGER NOT NULL, account TEXT NOT NULL, amount TEXT, currency TEXT DEFAULT 'USD',
  period TEXT DEFAULT 'months', recurring_id TEXT NOT NULL, start TEXT, status TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (account, recurring_id));
CREATE TABLE IF NOT EXISTS push_endpoint (id INTEGER PRIMARY KEY, name TEXT NOT NULL, url TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS page_push_endpoint (page_id INTEGER NOT NULL, endpoint_id INTEGER NOT NULL,
  PRIMARY KEY (page_id, endpoint_id));
CREATE TABLE IF NOT EXISTS push_log (id INTEGER PRIMARY KEY, endpoint_id INTEGER NOT NULL, action_id INTEGER NOT NULL,
  status_code INTEGER, tries INTEGER NOT NULL, error TEXT DEFAULT '', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_request (id INTEGER PRIMARY KEY, account TEXT, kind TEXT, lineitem_id TEXT,
  order_number TEXT, status_code INTEGER, duplicate INTEGER DEFAULT 0, backfill INTEGER DEFAULT 0, order_id INTEGER,
  created_at TEXT NOT NULL);
"""
DATA_TABLES = (
    "user",
    "phone",
    "alloweduserfield",
    "userfield",
    "page",
    "action",
    "actionfield",
    "usergroup",
    "usergroup_member",
    "orders",
    "transactions",
    "orderrecurring",
    "webhook_request",
    "push_endpoint",
    "page_push_endpoint",
    "push_log",
)
DEFAULT_USER_FIELDS = ("employer", "occupation", "express_lane", "sms_opt_in")
BUSY_TIMEOUT_MS = 10_000

_local = threading.local()
_write_lock = threading.Lock()


def now() -> str:
    """Naive UTC with microseconds, the way ActionKit prints timestamps (sorts correctly as text)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # Test data: losing the last commit on power loss is fine.
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def thread_conn(path: str) -> sqlite3.Connection:
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    if path not in conns:
        conns[path] = connect(path)
    return conns[path]


@contextmanager
def write(conn: sqlite3.Connection):
    """One short write transaction at a time in this process; BEGIN IMMEDIATE guards against other processes."""
    with _write_lock:
        conn.execute("BEGIN IMMEDIATE")
        with conn:  # COMMIT on the way out, ROLLBACK on any exception.
            yield conn


def init(path: str) -> None:
    conn = connect(path)
    conn.executescript(SCHEMA)
    if "updated_at" not in {c["name"] for c in conn.execute("PRAGMA table_info(userfield)")}:
        conn.execute("ALTER TABLE userfield ADD COLUMN updated_at TEXT NOT NULL DEFAULT ''")  # Older sandbox files.
    ensure_defaults(conn)
    conn.close()


def ensure_defaults(conn: sqlite3.Connection) -> None:
    """The demo staff login and the user fields ActionKit's ActBlue webhook requires (employer, occupation, express_lane)."""
    ts = now()
    conn.execute("INSERT OR IGNORE INTO staff (username, password) VALUES (?, ?)", (DEMO_USERNAME, DEMO_PASSWORD))
    conn.executemany(
        "INSERT OR IGNORE INTO alloweduserfield (name, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [(n, n.replace("_", " ").title(), ts, ts) for n in DEFAULT_USER_FIELDS],
    )


def reset(conn: sqlite3.Connection) -> None:
    with write(conn):
        for table in DATA_TABLES:
            conn.execute(f"DELETE FROM {table}")
        ensure_defaults(conn)
