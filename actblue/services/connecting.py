"""Connect, change settings and disconnect an ActionKit connection. Credentials are verified before anything is saved."""

from django.db import transaction

from actblue.kind import CONFIG_ACCOUNT, CONFIG_NOTIFY_MANAGED, CONFIG_USERNAME, DEFAULT_ACCOUNT, KIND
from actionkit.services import compat_store
from actionkit.verify import ConnectError, connection_check
from integrations.models import Connection, Entity
from integrations.services.connections import connection_connect, connection_disconnect, connection_update_config


def account_taken(*, entity: Entity, host: str, account: str) -> bool:
    """Another entity already sends to this instance under this account name (their orders would mix)."""
    others = Connection.objects.filter(kind=KIND, host=host).exclude(entity=entity).exclude(
        status=Connection.Status.DISCONNECTED)
    return any((c.config.get(CONFIG_ACCOUNT) or DEFAULT_ACCOUNT) == account for c in others)


def actionkit_connect(*, entity: Entity, username: str, password: str, host: str, account: str, notify_managed: bool,
                      actor) -> Connection:
    """Verify, then create or reconnect the entity's connection (same row: its ledger resumes). Raises ConnectError."""
    account = account.strip() or DEFAULT_ACCOUNT
    authority, compat = connection_check(kind=KIND, host=host, username=username, password=password, config={})
    if account_taken(entity=entity, host=authority, account=account):
        raise ConnectError(f"Another ActBlue entity already sends to {authority} as “{account}”. Choose a different "
                           "Account Name so the two accounts stay apart in ActionKit.", field="account")
    config = {CONFIG_USERNAME: username, CONFIG_ACCOUNT: account, CONFIG_NOTIFY_MANAGED: notify_managed}
    connection = connection_connect(entity=entity, kind=KIND, host=authority, config=config,
                                    secrets={"password": password}, actor=actor)
    compat_store(connection=connection, result=compat)
    return connection


@transaction.atomic
def managed_forms_set(*, connection: Connection, send: bool, actor) -> Connection:
    return connection_update_config(connection=connection, changes={CONFIG_NOTIFY_MANAGED: send}, actor=actor)


def actionkit_disconnect(*, connection: Connection, actor) -> Connection:
    return connection_disconnect(connection=connection, actor=actor, reason="Disconnected by a user.")
