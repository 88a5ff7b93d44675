"""The only place integration code gets an ActionKit client from (as Sentry's get_client()).

A connection keeps `host` on the row, the staff username in `config["username"]` and the password in
`secrets["password"]`. Every client built here shares the connection's records-per-minute budget and the
per-host concurrency cap with every other worker process.
"""

from django.conf import settings

from actionkit.client import ActionKitClient


def client_for_credentials(*, host: str, username: str, password: str) -> ActionKitClient:
    """An unthrottled client for verifying credentials on the connect form, before anything is saved."""
    return ActionKitClient(host, username, password, timeout=settings.ACTIONKIT_TIMEOUT)


def client_for(connection) -> ActionKitClient:
    from integrations.ratelimit import throttle_for

    throttle = throttle_for(key=f"connection:{connection.pk}", per_minute=connection.budget_per_minute,
                            host=connection.host, max_concurrent=settings.ACTIONKIT_MAX_CONCURRENT_PER_HOST)
    return ActionKitClient(connection.host, connection.config.get("username", ""), connection.secrets.get("password", ""),
                           timeout=settings.ACTIONKIT_TIMEOUT, throttle=throttle)
