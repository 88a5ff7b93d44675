"""The only place integration code gets an ActionKit client from (as Sentry's get_client()).

A connection keeps `host` on the row, the staff username in `config["username"]` and the password in
`secrets["password"]`. Every client built here shares the connection's records-per-minute budget and the
per-host concurrency cap with every other worker process. Two priority classes share that budget
(integrations.ratelimit): `client_for` is live (outbox senders, pushes, anything a person waits for) and
`bulk_client_for` is bulk (poll and list reads), which leaves a reserve of every minute to live requests.
"""

import hashlib
import threading

from django.conf import settings

from actionkit.client import ActionKitClient
from integrations.ratelimit import BULK, LIVE, throttle_for

_local = threading.local()  # requests.Session is not shared across threads; one cache per thread.


def client_for_credentials(*, host: str, username: str, password: str) -> ActionKitClient:
    """An unthrottled client for verifying credentials on the connect form, before anything is saved."""
    return ActionKitClient(host, username, password, timeout=settings.ACTIONKIT_TIMEOUT)


def client_for(connection, *, priority: str = LIVE) -> ActionKitClient:
    """A client for a saved connection, reused within this thread while its settings are unchanged.

    Reuse keeps the HTTP connection alive between deliveries; a new password, host or budget makes a new client.
    One client is cached per (connection, priority).
    """
    username, password = connection.config.get("username", ""), connection.secrets.get("password", "")
    fingerprint = hashlib.sha256("\0".join([
        connection.host, username, password, str(connection.budget_per_minute),
        str(settings.ACTIONKIT_TIMEOUT), ",".join(settings.ACTIONKIT_INSECURE_HOSTS)]).encode()).hexdigest()
    cache = _local.__dict__.setdefault("clients", {})
    cached = cache.get((connection.pk, priority))
    if cached and cached[0] == fingerprint:
        return cached[1]
    if cached:
        cached[1].close()
    client = _build(connection, username, password, priority)
    cache[(connection.pk, priority)] = (fingerprint, client)
    return client


def bulk_client_for(connection) -> ActionKitClient:
    """The client for poll and list reads: it yields the budget to live requests (integrations.ratelimit)."""
    return client_for(connection, priority=BULK)


# Share of a connection's records-per-minute budget we plan against. Our limiter counts a record when its request
# starts and ActionKit when it is served, so a request that takes a second can land in the next window: at 100%
# that edge produced a few 429s in 5 minutes, at 98% none.
BUDGET_HEADROOM = 0.98


def planned_per_minute(budget: int) -> int:
    return max(1, int(budget * BUDGET_HEADROOM)) if budget else 0  # 0 means unlimited.


def _build(connection, username: str, password: str, priority: str) -> ActionKitClient:
    throttle = throttle_for(key=f"connection:{connection.pk}", per_minute=planned_per_minute(connection.budget_per_minute),
                            host=connection.host, max_concurrent=settings.ACTIONKIT_MAX_CONCURRENT_PER_HOST,
                            priority=priority)
    return ActionKitClient(host=connection.host, username=username, password=password,
                           timeout=settings.ACTIONKIT_TIMEOUT, throttle=throttle)


def clients_clear() -> None:
    """Forget cached clients (tests and worker shutdown)."""
    for _, client in getattr(_local, "clients", {}).values():
        client.close()
    _local.__dict__["clients"] = {}
