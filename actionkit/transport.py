"""A requests adapter that re-checks the peer address at connect time.

Validation-time DNS checks alone lose to DNS rebinding (public answer when the form is saved, 169.254.169.254 when
the worker connects). These connection classes resolve the name themselves, refuse any address that
``peer_allowed`` rejects, and connect to the checked address; TLS still verifies against the hostname.
"""

from __future__ import annotations

import socket

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

from actionkit.errors import UnsafeHostError
from actionkit.hostnames import peer_allowed, resolve


def _guarded_new_conn(self) -> socket.socket:
    host, port = self._dns_host, self.port
    authority = f"{host}:{port}"  # Allowlist entries are "host:port"; public hosts never match it.
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        raise NewConnectionError(self, f"Failed to resolve {host}: {exc}") from exc
    checked = [a for a in addresses if peer_allowed(a, authority=authority, insecure=self.insecure)]
    if not checked or len(checked) != len(addresses):
        raise UnsafeHostError("That hostname points at a private or reserved address.")
    last_error: OSError | None = None
    for address in checked:
        try:
            return create_connection(
                (address, port), self.timeout, source_address=self.source_address, socket_options=self.socket_options
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {host} timed out.") from exc
        except OSError as exc:
            last_error = exc
    raise NewConnectionError(self, f"Failed to connect to {host}: {last_error}")


def guarded_adapter(insecure: frozenset[str], **kwargs) -> HTTPAdapter:
    """An HTTPAdapter whose connections enforce ``peer_allowed``; ``insecure`` is the "host:port" allowlist."""
    attrs = {"_new_conn": _guarded_new_conn, "insecure": insecure}
    http_conn = type("GuardedHTTPConnection", (HTTPConnection,), attrs)
    https_conn = type("GuardedHTTPSConnection", (HTTPSConnection,), attrs)
    pools = {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kw):
            super().init_poolmanager(*args, **kw)
            self.poolmanager.pool_classes_by_scheme = pools

    return GuardedAdapter(**kwargs)
