"""Encryption at rest for connection secrets.

The first key in settings.SECRETS_FERNET_KEYS encrypts; every key decrypts, so rows written before a rotation
still open. `manage.py secrets_rotate` re-encrypts every row with the first key so the oldest can be removed.
Unlike some encrypted fields, ours raises on an undecryptable token: silence would hide a lost key.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SECRETS_FERNET_KEYS is empty.")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.SECRETS_FERNET_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("A stored secret cannot be decrypted with any key in SECRETS_FERNET_KEYS.") from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class EncryptedJSONField(models.TextField):
    """A dict stored as one Fernet token. It is never rendered, serialized or logged by the app."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        return json.loads(decrypt(value))

    def get_prep_value(self, value):
        if not value:
            return ""
        return encrypt(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj):
        return "[encrypted]"
