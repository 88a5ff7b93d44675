"""The HTTP layer under ActionKitClient: one session, one ``_request`` choke point, pagination.

Every failure leaves ``_request`` as an ``actionkit.errors`` type. There are no retry loops here: on a 429 we
tell the shared throttle to pause the whole connection and raise, and the caller's outbox decides when to retry.
"""

from __future__ import annotations

import json
import logging
import random
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from actionkit import errors
from actionkit.hostnames import base_url, configured_insecure_hosts, normalize_hostname
from actionkit.transport import guarded_adapter

logger = logging.getLogger("actionkit")

DEFAULT_USER_AGENT = "akbridge/0.1 (ActionKit integration; +https://github.com/)"
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # A 100-row user page is ~100 KB; anything near this is not ActionKit.
MAX_PAGE_SIZE = 100  # ActionKit's documented maximum for _limit.
BACKOFF_BASE_SECONDS = 2.0  # First pause after a 429 without Retry-After; doubles per consecutive 429.
BACKOFF_CAP_SECONDS = 120.0
ROOT = "/rest/v1/"


@dataclass(frozen=True)
class ApiResponse:
    status_code: int
    body: Any  # Parsed JSON, or None for empty / non-JSON bodies.
    location: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class BaseClient:
    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        *,
        timeout=(5, 30),
        throttle=None,
        user_agent: str = DEFAULT_USER_AGENT,
        insecure_hosts: Iterable[str] | None = None,
    ):
        allow = configured_insecure_hosts() if insecure_hosts is None else frozenset(insecure_hosts)
        self.host = normalize_hostname(host, insecure=allow)
        self.base_url = base_url(self.host, insecure=allow)
        self.timeout = timeout
        self.throttle = throttle
        self._secrets = (username, password)
        self._consecutive_429 = 0
        self.session = requests.Session()
        self.session.trust_env = False  # No proxies or .netrc credentials from the environment.
        self.session.auth = (username, password)
        self.session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        adapter = guarded_adapter(allow, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def _url(self, path: str, params: Mapping[str, Any] | None) -> str:
        """Absolute URL with the trailing slash ActionKit requires; spaces encoded as %20, not '+'."""
        parts = urlsplit(path)
        route = parts.path if parts.path.startswith("/") else "/" + parts.path
        if not route.endswith("/"):
            route += "/"
        query = [q for q in (parts.query, urlencode(params or {}, doseq=True, quote_via=quote)) if q]
        return self.base_url + route + ("?" + "&".join(query) if query else "")

    def _request(self, method: str, path: str, *, params=None, json_body=None, cost: int = 1) -> ApiResponse:
        """Send one request; return 2xx responses, raise an ActionKitError subclass for everything else."""
        url = self._url(path, params)
        route = urlsplit(url).path  # Logged without the query string, which can hold an email address.
        try:
            with self._throttled(cost):
                response = self.session.request(
                    method, url, json=json_body, timeout=self.timeout, allow_redirects=False, stream=True
                )
                content = _read_capped(response)
        except errors.ActionKitError:
            raise
        except requests.Timeout as exc:
            self._log_failure(method, route, None, "timeout")
            raise errors.ActionKitTimeout() from exc
        except requests.RequestException as exc:
            self._log_failure(method, route, None, type(exc).__name__)
            raise errors.ActionKitTransient("Could not connect to ActionKit.") from exc
        result = ApiResponse(
            response.status_code, _parse_json(response, content), response.headers.get("Location"), response.headers
        )
        if 200 <= response.status_code < 300:
            self._consecutive_429 = 0
            return result
        self._log_failure(method, route, response.status_code, "status")
        error = self._error_for(result, content.decode("utf-8", "replace"))
        if isinstance(error, errors.ActionKitUnauthorized) and route != ROOT and not _challenges(result):
            error = self._forbidden_or(error, route)
        raise error

    def _forbidden_or(self, error: errors.ActionKitUnauthorized, route: str) -> errors.ActionKitError:
        """A bare 401 (no ``WWW-Authenticate`` challenge) or a 403 below the root is a missing permission when the
        root still accepts the login (tastypie's unauthorized_result); only a refusal of ``/rest/v1/`` itself, or a
        Basic challenge, means bad credentials."""
        try:
            self._request("GET", ROOT)
        except errors.ActionKitUnauthorized:
            return error
        except errors.ActionKitError as unsure:
            return unsure  # The root cannot tell us now (busy, down): retried later, never read as bad credentials.
        return errors.ActionKitForbidden(resource=resource_of(route), status_code=error.status_code,
                                         body_excerpt=error.body_excerpt)

    def _error_for(self, result: ApiResponse, text: str) -> errors.ActionKitError:
        status = result.status_code
        kw = {"status_code": status, "body_excerpt": errors.scrub(text, self._secrets)}
        if 300 <= status < 400:
            return errors.ActionKitRedirect(
                f"ActionKit answered with a redirect (HTTP {status}); check the hostname.", **kw
            )
        if status in (401, 403):
            return errors.ActionKitUnauthorized(f"ActionKit rejected the username or password (HTTP {status}).", **kw)
        if status == 404:
            return errors.ActionKitNotFound("ActionKit could not find that object (HTTP 404).", **kw)
        if status == 409:
            location = errors.existing_location(result.location, text)
            return errors.ActionKitConflict(
                "ActionKit already has an object with that unique value (HTTP 409).", location=location, **kw
            )
        if status == 429:
            return self._rate_limited(result, kw)
        if status in (400, 422):
            raw = errors.parse_field_errors(result.body if result.body is not None else text)
            # ActionKit can echo what we sent; the messages are shown to admins, so they carry no secret either.
            field_errors = {field: [errors.scrub(m, self._secrets) for m in messages] for field, messages in raw.items()}
            return errors.ActionKitValidationError(
                _validation_message(field_errors, self._secrets), field_errors=field_errors, **kw
            )
        if status >= 500:
            return errors.ActionKitTransient(f"ActionKit is temporarily unavailable (HTTP {status}).", **kw)
        return errors.ActionKitRejected(f"ActionKit rejected the request (HTTP {status}).", **kw)

    def _rate_limited(self, result: ApiResponse, kw: dict) -> errors.ActionKitRateLimited:
        retry_after = errors.parse_retry_after(result.headers.get("Retry-After"))
        backoff = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**self._consecutive_429) * random.uniform(0.8, 1.2)
        self._consecutive_429 += 1
        if self.throttle is not None:
            self.throttle.pause(retry_after if retry_after is not None else backoff)
        return errors.ActionKitRateLimited("ActionKit asked us to slow down (HTTP 429).", retry_after=retry_after, **kw)

    @contextmanager
    def _throttled(self, cost: int):
        """The connection's budget for ``cost`` records and one of the host's slots, held for the HTTP call."""
        if self.throttle is None:
            yield
            return
        with ExitStack() as stack:
            try:
                stack.enter_context(self.throttle.admit(cost))
            except Exception as exc:  # ThrottleBusy, duck-typed so the client does not import the Django app.
                if not hasattr(exc, "retry_after"):
                    raise
                message = "Too many requests to this ActionKit instance are in flight." if getattr(
                    exc, "slots", False) else None
                raise errors.ActionKitThrottled(message, retry_after=exc.retry_after) from exc
            yield

    def _log_failure(self, method: str, route: str, status: int | None, reason: str) -> None:
        logger.warning(
            "actionkit.request.failed",
            extra={"ak_host": self.host, "method": method, "route": route, "status": status, "reason": reason},
        )

    def _paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[dict]:
        """Yield objects page by page following ``meta.next``; one page in memory at a time.

        Offsets shift when rows change during a scan, so an object can reappear on the next page: ids of the last
        two pages are remembered and skipped (bounded memory, unlike a set of every id seen).
        """
        limit = max(1, min(int(page_size), MAX_PAGE_SIZE))
        next_path, next_params = path, {**(params or {}), "_limit": limit}
        recent: deque[set] = deque(maxlen=2)
        while next_path:
            body = self._request("GET", next_path, params=next_params, cost=limit).body
            if not isinstance(body, dict) or not isinstance(body.get("objects"), list):
                raise errors.ActionKitError("ActionKit sent an unexpected list response.")
            seen_now: set = set()
            for obj in body["objects"]:
                oid = obj.get("id", errors.id_from_uri(obj.get("resource_uri")))
                if oid is not None and any(oid in ids for ids in recent):
                    continue
                seen_now.add(oid)
                yield obj
            recent.append(seen_now)
            next_path, next_params = _next_path(body), None
            if not body["objects"]:
                break


def _challenges(result: ApiResponse) -> bool:
    return result.status_code == 401 and "basic" in str(result.headers.get("WWW-Authenticate", "")).lower()


def resource_of(route: str) -> str:
    """``/rest/v1/usergroup/12/`` -> "usergroup"; the SQL report endpoint is "report"; other paths as they are."""
    if route.startswith(ROOT):
        return route[len(ROOT):].strip("/").split("/", 1)[0] or "the API"
    return route


def _next_path(body: dict) -> str | None:
    """``meta.next`` as a path on our host; falsy or the string "None" ends the scan."""
    nxt = (body.get("meta") or {}).get("next")
    if not nxt or nxt == "None":
        return None
    parts = urlsplit(nxt)  # Never follow an absolute URL to another host.
    return parts.path + ("?" + parts.query if parts.query else "")


def _read_capped(response: requests.Response) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        response.close()
        raise errors.ActionKitResponseTooLarge(status_code=response.status_code)
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            response.close()
            raise errors.ActionKitResponseTooLarge(status_code=response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(response: requests.Response, content: bytes) -> Any:
    """JSON only when the body is non-empty and typed JSON; AK's empty 201/204/404 bodies are text/html."""
    if not content.strip() or "json" not in response.headers.get("Content-Type", "").lower():
        return None
    try:
        return json.loads(content)
    except ValueError:
        if 200 <= response.status_code < 300:
            raise errors.ActionKitTransient(
                "ActionKit sent malformed JSON.", status_code=response.status_code
            ) from None
        return None


def _validation_message(field_errors: dict[str, list[str]], secrets) -> str:
    first = next(((f, m[0]) for f, m in field_errors.items() if m), None)
    if first is None:
        return "ActionKit rejected the data (HTTP 400)."
    name, message = first
    detail = message if name == "__all__" else f"{name}: {message}"
    return "ActionKit rejected the data: " + errors.scrub(detail, secrets)[:200]
