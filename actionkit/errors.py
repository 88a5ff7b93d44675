"""Typed ActionKit failures.

Every failure the client can hit maps to exactly one class here, so callers sort outcomes with ``isinstance``
(or the ``retryable`` flag) instead of reading status codes. Messages are written for an admin to read; the
``body_excerpt`` is short and scrubbed of email addresses and the credentials in use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

EXCERPT_CHARS = 500  # Enough to show an AK validation message; attempts store this, never the whole body.
_EMAIL_RE = re.compile(r"[^\s'\"<>@,;:]+@[^\s'\"<>@,;:]+\.[A-Za-z]{2,}")
_EXISTING_LOCATION_RE = re.compile(r"existing location:\s*(\S+?)['\"\]}]*(?:\s|$)")


class ActionKitError(Exception):
    """Base class. ``status_code`` is None when no HTTP response arrived."""

    retryable = False
    default_message = "ActionKit request failed."

    def __init__(self, message: str | None = None, *, status_code: int | None = None, body_excerpt: str = ""):
        self.status_code = status_code
        self.body_excerpt = body_excerpt
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class UnsafeHostError(ActionKitError, ValueError):
    """The hostname is malformed or points at an address we must never call (SSRF protection)."""

    default_message = "That ActionKit hostname is not allowed."


class ActionKitUnauthorized(ActionKitError):
    default_message = "ActionKit rejected the username or password."


class ActionKitForbidden(ActionKitError):
    """A 401/403 on one resource while the API root accepts the login: the staff account lacks that resource's
    permission (tastypie answers 401 for both). Not bad credentials: only what needs ``resource`` stops."""

    default_message = "The ActionKit staff account may not use that resource."

    def __init__(self, message=None, *, resource: str = "", **kw):
        self.resource = resource
        super().__init__(message or permission_message(resource), **kw)


def permission_message(resource: str) -> str:
    """Plain words for a missing permission, naming what to change in ActionKit."""
    verb = "use" if resource.startswith("/") else "read"  # A path outside /rest/v1/, e.g. the ActBlue webhook.
    return (f"The ActionKit staff account may not {verb} {resource or 'this resource'}. In ActionKit, give the staff "
            f"account permission to {verb} {resource or 'it'} (Staff, then the account's permissions).")


class ActionKitRejected(ActionKitError):
    """A permanent 4xx: retrying the same request cannot succeed."""

    default_message = "ActionKit rejected the request."


class ActionKitNotFound(ActionKitRejected):
    default_message = "ActionKit could not find that object."


class ActionKitValidationError(ActionKitRejected):
    """400/422. ``field_errors`` maps field name (or ``__all__``) to messages."""

    default_message = "ActionKit rejected the data."

    def __init__(self, message=None, *, field_errors: dict[str, list[str]] | None = None, **kw):
        self.field_errors = field_errors or {}
        super().__init__(message, **kw)


class ActionKitConflict(ActionKitRejected):
    """409 on a unique key; ``location``/``existing_id`` point at the object that already exists."""

    default_message = "ActionKit already has an object with that unique value."

    def __init__(self, message=None, *, location: str | None = None, **kw):
        self.location = location
        self.existing_id = id_from_uri(location) if location else None
        super().__init__(message, **kw)


class ActionKitRedirect(ActionKitRejected):
    """3xx. We never follow redirects (a redirected POST loses its body), so this is permanent."""

    default_message = "ActionKit answered with a redirect; check the hostname."


class ActionKitTransient(ActionKitError):
    """5xx, connection failures and timeouts: worth retrying later."""

    retryable = True
    default_message = "ActionKit is temporarily unavailable."


class ActionKitTimeout(ActionKitTransient):
    default_message = "ActionKit did not answer in time."


class ActionKitRateLimited(ActionKitError):
    """429 from ActionKit (or our own budget, see ActionKitThrottled). ``retry_after`` in seconds, if known."""

    retryable = True
    default_message = "ActionKit asked us to slow down."

    def __init__(self, message=None, *, retry_after: float | None = None, **kw):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ActionKitThrottled(ActionKitRateLimited):
    """Our shared budget for this connection is used up; no request was sent."""

    default_message = "The records-per-minute budget for this ActionKit instance is used up."


class ActionKitResponseTooLarge(ActionKitError):
    default_message = "ActionKit sent a response larger than we accept."


def id_from_uri(uri: str | None) -> int | None:
    """``/rest/v1/user/123/`` (or a full URL) -> 123; None when the last segment is not a number."""
    if not uri:
        return None
    path = uri.split("?", 1)[0].rstrip("/")
    last = path.rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Shorten ``text`` and blank out email addresses and the given secrets."""
    text = text[: EXCERPT_CHARS * 2]
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _EMAIL_RE.sub("[email]", text)[:EXCERPT_CHARS]


def parse_field_errors(body) -> dict[str, list[str]]:
    """Normalise every AK error shape (it has no single envelope) into ``{field: [messages]}``.

    ``{"errors": {...}}`` / ``{"errors": [...]}`` use the wrapped value; ``{"page": "..."}`` is a top-level key
    map; ``{"importpage": {"name": [...]}}`` is keyed by resource and flattened; bare strings go under ``__all__``.
    """
    if body in (None, "", {}, []):
        return {}
    if isinstance(body, dict) and "errors" in body:
        return parse_field_errors(body["errors"])
    if not isinstance(body, dict):
        return {"__all__": _messages(body)}
    result: dict[str, list[str]] = {}
    for key, value in body.items():
        nested = parse_field_errors(value) if isinstance(value, dict) else {key: _messages(value)}
        for field, messages in nested.items():
            result.setdefault(field, []).extend(messages)
    return result


def _messages(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [m for item in value for m in _messages(item)]
    if isinstance(value, dict):
        return [m for msgs in parse_field_errors(value).values() for m in msgs]
    return [str(value)]


def existing_location(location_header: str | None, body_text: str) -> str | None:
    """The conflicting object's URI: the Location header, else "existing location: ..." in the message."""
    if location_header:
        return location_header
    match = _EXISTING_LOCATION_RE.search(body_text or "")
    return match.group(1) if match else None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After in either delta-seconds or HTTP-date form; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
