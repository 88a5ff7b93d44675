"""Structured JSON logs with a correlation id per request or task. Never log secrets, emails, phones or payloads.

Two guards: values under secret-looking keys in `extra` (at any depth) are redacted, and credentials that slip
into a message or traceback text (Authorization headers, passwords in URLs, "password=..." pairs) are masked.
"""

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
# Set by integrations.observability.celery_context while a task runs: {"task_id": ..., "task": ...}.
task_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("task_context", default=None)

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "correlation_id", "task_id", "task"}
# Keys whose values are never written, whatever a caller passes in `extra`.
_SECRET_KEYS = {"password", "secret", "secrets", "token", "authorization", "api_key", "cookie", "email", "phone"}
REDACTED = "[redacted]"
_SECRET_PATTERNS = [
    (re.compile(r"(?i)\b(authorization|proxy-authorization)(['\"]?\s*[:=]\s*['\"]?)(basic|bearer|token)\s+[^\s'\",}]+"),
     r"\1\2\3 " + REDACTED),
    (re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{16,}"), r"\1 " + REDACTED),
    (re.compile(r"(?i)(\w+://)[^/\s:@]+:[^/\s@]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(?i)\b(password|passwd|secret|api_key|token)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]+"), r"\1\2" + REDACTED),
    (re.compile(r"[^\s'\"<>@,;:/\[\]]+@[^\s'\"<>@,;:/]+\.[A-Za-z]{2,}"), "[email]"),  # People's addresses, not credentials.
]


def scrub(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact(key: str, value):
    if key.lower() in _SECRET_KEYS:
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact("", v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        task = task_context.get()
        if task:
            record.task_id, record.task = task["task_id"], task["task"]
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": scrub(record.getMessage()),
            "correlation_id": getattr(record, "correlation_id", correlation_id.get()),
        }
        for key in ("task_id", "task"):
            if getattr(record, key, None):
                entry[key] = getattr(record, key)
        for key, value in vars(record).items():
            if key in _RESERVED or key.startswith("_"):
                continue
            entry[key] = _redact(key, value)
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """One line per record for a person at a terminal (`make run`), with the same redaction as the JSON lines.

    Production always logs JSON (config/settings.py ignores LOG_FORMAT there).
    """

    def format(self, record: logging.LogRecord) -> str:
        extras = [f"{key}={_redact(key, value)}" for key, value in vars(record).items()
                  if key not in _RESERVED and not key.startswith("_") and key not in ("request", "status_code")]
        line = (f"{datetime.fromtimestamp(record.created, UTC):%H:%M:%S} {record.levelname:<7} {record.name}: "
                f"{scrub(record.getMessage())}{'  ' + ' '.join(extras) if extras else ''}")
        if record.exc_info:
            line += "\n" + scrub(self.formatException(record.exc_info))
        return line
