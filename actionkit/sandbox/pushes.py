"""Push API endpoints, as ActionKit's Pages → Other → "Edit Push API Endpoints" sets them up.

An endpoint is a URL connected to pages. Every action taken on a connected page is POSTed to it after the action's
own response, as the REST action object (`GET /rest/v1/action/<id>/`), with retries on failure. ActionKit's own
payload, auth and retry rules are unverified (no public source shows them); this is the shape our page-webhook receiver takes.

The sandbox is a local test double: it only pushes to loopback URLs, and refuses any other when the endpoint is
made. Each try is logged in `push_log`, shown by the inspector and `GET /_sandbox/pushes`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from actionkit.sandbox import db, serializers

logger = logging.getLogger(__name__)
TRIES = 3  # First try, then after 1 s and 2 s.
TIMEOUT_SECONDS = 5


class PushError(ValueError):
    pass


def endpoint_create(conn, *, name: str, url: str, pages: list) -> dict:
    """Add an endpoint and connect it to pages given by id or short name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _is_loopback(parts.hostname):
        raise PushError("The sandbox pushes only to http(s) URLs on this machine (127.0.0.1, ::1 or localhost).")
    page_ids = []
    for ref in pages:
        column = "id" if str(ref).isdigit() else "name"
        row = conn.execute(f"SELECT id FROM page WHERE {column} = ?", (ref,)).fetchone()  # noqa: S608
        if row is None:
            raise PushError(f"No page {ref!r}.")
        page_ids.append(row["id"])
    with db.write(conn):
        endpoint_id = conn.execute("INSERT INTO push_endpoint (name, url, created_at) VALUES (?, ?, ?)",
                                   (name or url, url, db.now())).lastrowid
        conn.executemany("INSERT OR IGNORE INTO page_push_endpoint (page_id, endpoint_id) VALUES (?, ?)",
                         [(page_id, endpoint_id) for page_id in page_ids])
    return {"id": endpoint_id, "name": name or url, "url": url, "pages": page_ids}


def endpoints(conn) -> list[dict]:
    rows = conn.execute("SELECT id, name, url, created_at FROM push_endpoint ORDER BY id").fetchall()
    links = conn.execute("SELECT endpoint_id, page_id FROM page_push_endpoint ORDER BY page_id").fetchall()
    return [{**dict(row), "pages": [link["page_id"] for link in links if link["endpoint_id"] == row["id"]]}
            for row in rows]


class Pusher:
    """One background thread per sandbox process: actions go out in the order they were taken."""

    def __init__(self, db_path: str):
        self.db_path = db_path
        self.jobs: queue.Queue[int] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def action_taken(self, conn, action_id: int) -> None:
        """Queue the pushes for an action, if its page has endpoints (one cheap read otherwise)."""
        if conn.execute("SELECT 1 FROM page_push_endpoint WHERE page_id = (SELECT page_id FROM action WHERE id = ?) "
                        "LIMIT 1", (action_id,)).fetchone() is None:
            return
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="sandbox-pusher", daemon=True)
                self.thread.start()
        self.jobs.put(action_id)

    def _run(self) -> None:
        conn = db.thread_conn(self.db_path)
        while True:
            action_id = self.jobs.get()
            try:
                self._push(conn, action_id)
            except Exception:  # A bad row must not stop later pushes.
                logger.exception("sandbox push of action %s failed", action_id)

    def _push(self, conn, action_id: int) -> None:
        row = conn.execute("SELECT * FROM action WHERE id = ?", (action_id,)).fetchone()
        if row is None:
            return
        body = json.dumps(serializers.actions(conn, [row])[0]).encode()
        targets = conn.execute("SELECT e.id, e.url FROM push_endpoint e JOIN page_push_endpoint p ON "
                               "p.endpoint_id = e.id WHERE p.page_id = ?", (row["page_id"],)).fetchall()
        for target in targets:
            status, error, tries = _post_with_retries(target["url"], body)
            with db.write(conn):
                conn.execute("INSERT INTO push_log (endpoint_id, action_id, status_code, tries, error, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (target["id"], action_id, status, tries, error, db.now()))


def _post_with_retries(url: str, body: bytes) -> tuple[int | None, str, int]:
    status, error = None, ""
    for attempt in range(1, TRIES + 1):
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "ActionKit-sandbox"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - loopback only
                return response.status, "", attempt
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
            if 400 <= exc.code < 500 and exc.code != 429:
                return status, error, attempt  # The receiver refused the body: sending it again will not help.
        except OSError as exc:
            status, error = None, str(exc)[:200]
        if attempt < TRIES:
            time.sleep(attempt)
    return status, error, TRIES


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
