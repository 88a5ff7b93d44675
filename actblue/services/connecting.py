"""Connect, change settings and disconnect an ActionKit connection. Credentials are verified before anything is saved."""

from django.db import transaction

from actblue.kind import CONFIG_ACCOUNT, CONFIG_NOTIFY_MANAGED, CONFIG_USERNAME, DEFAULT_ACCOUNT, KIND
from actionkit import errors
from actionkit.factory import client_for_credentials
from actionkit.hostnames import check_hostname
from integrations.models import Connection, Entity
from integrations.services.connections import connection_connect, connection_disconnect, connection_update_config


class ConnectError(Exception):
    """Why a connect attempt failed, worded for the person filling in the form. `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        self.message, self.field = message, field
        super().__init__(message)


def credentials_verify(*, host: str, username: str, password: str) -> str:
    """Check the hostname (SSRF rules) and the staff login; return the normalised host. Raises ConnectError."""
    try:
        authority = check_hostname(host)
    except errors.UnsafeHostError as exc:
        raise ConnectError(f"{exc.message} Enter your instance's public hostname, e.g. yourorg.actionkit.com.",
                           field="host") from exc
    try:
        client = client_for_credentials(host=authority, username=username, password=password)
    except errors.UnsafeHostError as exc:
        raise ConnectError(exc.message, field="host") from exc
    try:
        client.verify_credentials()
    except errors.ActionKitUnauthorized as exc:
        raise ConnectError("ActionKit rejected that username or password. Check the staff account's login.") from exc
    except errors.ActionKitTransient as exc:
        raise ConnectError(f"Could not reach ActionKit at {authority}: {exc.message} Check the hostname, or try "
                           "again in a few minutes.", field="host") from exc
    except errors.ActionKitRedirect as exc:
        raise ConnectError(f"{authority} answered with a redirect, so it is not the ActionKit API. Check the hostname.",
                           field="host") from exc
    except errors.ActionKitError as exc:
        raise ConnectError(f"ActionKit at {authority} did not accept the check: {exc.message}", field="host") from exc
    finally:
        client.close()
    return authority


def account_taken(*, entity: Entity, host: str, account: str) -> bool:
    """Another entity already sends to this instance under this account name (their orders would mix)."""
    others = Connection.objects.filter(kind=KIND, host=host).exclude(entity=entity).exclude(
        status=Connection.Status.DISCONNECTED)
    return any((c.config.get(CONFIG_ACCOUNT) or DEFAULT_ACCOUNT) == account for c in others)


def actionkit_connect(*, entity: Entity, username: str, password: str, host: str, account: str, notify_managed: bool,
                      actor) -> Connection:
    """Verify, then create or reconnect the entity's connection (same row: its ledger resumes). Raises ConnectError."""
    account = account.strip() or DEFAULT_ACCOUNT
    authority = credentials_verify(host=host, username=username, password=password)
    if account_taken(entity=entity, host=authority, account=account):
        raise ConnectError(f"Another ActBlue entity already sends to {authority} as “{account}”. Choose a different "
                           "Account Name so the two accounts stay apart in ActionKit.", field="account")
    config = {CONFIG_USERNAME: username, CONFIG_ACCOUNT: account, CONFIG_NOTIFY_MANAGED: notify_managed}
    return connection_connect(entity=entity, kind=KIND, host=authority, config=config, secrets={"password": password},
                              actor=actor)


@transaction.atomic
def managed_forms_set(*, connection: Connection, send: bool, actor) -> Connection:
    return connection_update_config(connection=connection, changes={CONFIG_NOTIFY_MANAGED: send}, actor=actor)


def actionkit_disconnect(*, connection: Connection, actor) -> Connection:
    return connection_disconnect(connection=connection, actor=actor, reason="Disconnected by a user.")
