"""The page-webhook receiver in front of Django: the same answers as the view, without the middleware stack.

ActionKit's servers post one body per action, fast and in bursts. Django's stack (sessions, auth, CSRF,
messages, axes, a `SELECT 1` health check of the database connection) cost more than the work itself, and none
of it applies to a POST authenticated by its URL. So a POST to a well-formed hook URL with a JSON or
form-encoded body is answered here by `page_hook_answer`, the function the Django view calls; everything else
(other methods, multipart bodies, plain http when production redirects to https, any other path) goes to Django.

The database connection is Django's, with its lifecycle kept by hand: no health-check ping before the request;
a connection that turns out dead fails the statement, is closed, and the statement runs once more on a fresh one
(it is idempotent: ON CONFLICT DO NOTHING). After the request, a connection with errors, past CONN_MAX_AGE or
left outside autocommit is closed, as Django's request_finished handler would.
"""

import json
import logging
import re
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django.db import connection as db_connection

from integrations.ids import id_from_text
from strive.activity.views.hooks import FORM, JSON, MAX_BODY_BYTES, body_from_bytes, page_hook_answer

logger = logging.getLogger(__name__)
HOOK_PATH = re.compile(r"/hooks/actionkit/pages/(?P<connection_id>[0-9]+)/(?P<token>[^/]+)/")
HEADERS = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found", 413: "Content Too Large",
           415: "Unsupported Media Type", 500: "Internal Server Error", 503: "Service Unavailable"}


def with_page_hooks(django_app):
    """`application = with_page_hooks(get_wsgi_application())` in config/wsgi.py."""

    def application(environ, start_response):
        match = HOOK_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or not _served_here(environ):
            return django_app(environ, start_response)
        # An id no connection can have (past 19 digits int() may even refuse it) is 0, which gets the unknown-URL 404.
        status, answer = _answer(environ, id_from_text(match["connection_id"]) or 0, match["token"])
        payload = json.dumps(answer).encode()
        start_response(f"{status} {REASONS.get(status, '')}",
                       [*HEADERS, ("Content-Length", str(len(payload)))])
        return [payload]

    return application


def _served_here(environ) -> bool:
    if environ.get("REQUEST_METHOD") != "POST":
        return False
    if _content_type(environ) not in (JSON, FORM):
        return False
    return not (settings.SECURE_SSL_REDIRECT and not _is_secure(environ))


def _content_type(environ) -> str:
    return environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def _is_secure(environ) -> bool:
    if settings.SECURE_PROXY_SSL_HEADER:
        header, value = settings.SECURE_PROXY_SSL_HEADER
        if environ.get(header, "").split(",", 1)[0].strip() == value:
            return True
    return environ.get("wsgi.url_scheme") == "https"


def _answer(environ, connection_id: int, token: str) -> tuple[int, dict]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 400, {"error": "Invalid Content-Length."}
    # Read once, so a retry on a fresh connection parses the same bytes; a body over the limit is never read.
    raw = environ["wsgi.input"].read(length) if 0 < length <= MAX_BODY_BYTES else b""
    content_type = _content_type(environ)

    def answer() -> tuple[int, dict]:
        return page_hook_answer(connection_id=connection_id, token=token, content_length=length,
                                read_body=lambda: body_from_bytes(content_type, raw))

    try:
        try:
            return answer()
        except DatabaseError:
            if not _connection_was_stale():
                raise
            return answer()  # The connection kept from an earlier request had died (restart, idle timeout).
    except Exception:
        logger.exception("strive.webhook.failed", extra={"connection_id": connection_id})
        return 503, {"error": "The webhook could not be stored; send it again."}
    finally:
        _close_broken_or_old_connections()


def _connection_was_stale() -> bool:
    """True when the connection no longer works; it is then closed, so the retry opens a new one."""
    if db_connection.in_atomic_block or db_connection.is_usable():
        return False
    db_connection.close()
    return True


def _close_broken_or_old_connections() -> None:
    """What Django's request_finished handler does, minus resetting the health check. A connection still inside a
    transaction is left alone: this path opens none, so that is a test's own wrapping transaction."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None or conn.in_atomic_block:
            continue
        obsolete = conn.close_at is not None and time.monotonic() >= conn.close_at
        if conn.errors_occurred or obsolete or conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
