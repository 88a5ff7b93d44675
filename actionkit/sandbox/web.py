"""Just enough WSGI plumbing for the sandbox: a request object and response helpers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs

MAX_BODY_BYTES = 2 * 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    remote_addr: str
    auth: tuple[str, str] | None
    content_type: str = ""
    environ: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_environ(cls, environ: dict) -> Request:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES)) if length else b""
        return cls(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO") or "/",
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            body=body,
            remote_addr=environ.get("REMOTE_ADDR", ""),
            auth=_basic_auth(environ.get("HTTP_AUTHORIZATION")),
            content_type=environ.get("CONTENT_TYPE", ""),
            environ=environ,
        )

    @property
    def query_string(self) -> str:
        return self.environ.get("QUERY_STRING", "")

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def data(self) -> dict:
        """JSON body, or form-encoded body (action processing accepts both)."""
        if not self.body:
            return {}
        if "json" in self.content_type or self.body[:1] in (b"{", b"["):
            parsed = json.loads(self.body)
            return parsed if isinstance(parsed, dict) else {}
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    records: int = 1  # Counted against the sandbox's records-per-minute limit.

    def start(self, start_response) -> list[bytes]:
        start_response(
            f"{self.status} {HTTPStatus(self.status).phrase}", [*self.headers, ("Content-Length", str(len(self.body)))]
        )
        return [self.body]


def json_response(status: int, data, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return Response(status, body, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])])


def empty(status: int, headers: list[tuple[str, str]] | None = None) -> Response:
    """ActionKit's bodyless answers (201 with Location, 202, 204, 404, 401) are text/html with length 0."""
    return Response(status, b"", [("Content-Type", "text/html; charset=utf-8"), *(headers or [])])


def html(body: str, status: int = 200) -> Response:
    return Response(status, body.encode(), [("Content-Type", "text/html; charset=utf-8")])


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return username, password
