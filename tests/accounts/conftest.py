"""Helpers for the account flows: links from the mails Django's locmem backend keeps, TOTP codes, real logins."""

import re
import time
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache

from tests.plugins.tenants import PASSWORD

URL = re.compile(r"https?://\S+")


def link_in(outbox, fragment: str) -> str:
    """The path of the newest link containing fragment in any sent mail."""
    for message in reversed(outbox):
        for url in URL.findall(message.body):
            if fragment in url:
                return urlsplit(url).path
    raise AssertionError(f"no mail with a link containing {fragment!r}: {[m.subject for m in outbox]}")


def totp_code(secret: str) -> str:
    """What an authenticator app shows now, computed with allauth's own HOTP helpers (RFC 6238, 30 s steps)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"login": username, "password": password})


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts requests per address in the cache; each test starts from zero."""
    cache.clear()
