"""Pluggable SMS backends. `settings.STRIVE_SMS_BACKEND` names one by dotted path; a real provider is one module.

A backend is a class with `send(*, message) -> SendResult`. `message` is a saved OutboxMessage (to_phone, body,
entity); the backend must not raise for a refusal it understands: it returns `SendResult(ok=False, error=...)`.
"""

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from strive.activity.sms.base import SendResult, SmsBackend

DEFAULT_BACKEND = "strive.activity.sms.outbox.OutboxBackend"

__all__ = ["SendResult", "SmsBackend", "backend_path", "get_backend"]


def backend_path() -> str:
    return settings.STRIVE_SMS_BACKEND or DEFAULT_BACKEND


@lru_cache(maxsize=4)
def _backend_for(path: str) -> SmsBackend:
    return import_string(path)()


def get_backend() -> SmsBackend:
    return _backend_for(backend_path())
