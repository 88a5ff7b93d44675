"""Connect, activate (Sync Accounts on) and deactivate (off: credentials removed, syncing stops, data stays)."""

from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from actionkit.factory import client_for
from actionkit.services import compat_store
from actionkit.tasks import compat_check as compat_check_task
from config.celery import Queues
from integrations.models import Connection, SyncCursor
from integrations.services.audit import audit_record
from integrations.services.connections import connection_connect, connection_disconnect, connection_update_config
from strive.activation_hooks import activation_hooks_run
from strive.models import Group, MemberLink
from strive.services.config import (
    IMPORT_PAGE_NAME,
    IMPORT_PAGE_TITLE,
    KIND,
    PHONE_TYPE_CHOICES,
    PRIMARY_GROUP_NAME,
    sync_settings,
)
from strive.services.fields import core_mappings_ensure
from strive.services.sync import member_push_changes
from strive.tasks import users_poll as users_poll_task


class ActivationError(Exception):
    pass


@transaction.atomic
def strive_connect(*, entity, host: str, username: str, password: str, actor, compat: dict | None = None) -> Connection:
    """Save verified credentials (the caller verified them) and make sure the core fields are mapped. `compat` is
    the compatibility check made with the credentials (actionkit.verify.connection_check)."""
    connection = connection_connect(entity=entity, kind=KIND, host=host, config={"username": username},
                                    secrets={"password": password}, actor=actor)
    core_mappings_ensure(connection=connection)
    if compat is not None:
        compat_store(connection=connection, result=compat)
    return connection


def settings_clean(*, opt_in_field: str, phone_types: list[str]) -> dict:
    if not opt_in_field.strip():
        raise ActivationError("Enter the userfield that holds SMS opt-in (Opt-in Field Sync).")
    order = [t for t in dict.fromkeys(phone_types) if t in PHONE_TYPE_CHOICES]
    if not order:
        raise ActivationError("Pick at least one phone type for Phone Number Sync.")
    return {"opt_in_field": opt_in_field.strip(), "phone_types": order}


@transaction.atomic
def settings_save(*, connection: Connection, opt_in_field: str, phone_types: list[str], create_users: bool, actor) -> Connection:
    changes = {**settings_clean(opt_in_field=opt_in_field, phone_types=phone_types), "create_users": bool(create_users)}
    if changes["opt_in_field"] != sync_settings(connection).opt_in_field:  # The check probes the chosen field.
        transaction.on_commit(partial(compat_check_task.apply_async, (connection.pk,), queue=Queues.POLLS))
    return connection_update_config(connection=connection, changes=changes, actor=actor)


def sync_activate(*, connection: Connection, actor) -> Connection:
    """Sync Accounts ON: ensure the import page and the primary group, then start the initial (or resumed) sync."""
    if not connection.is_active or not connection.secrets.get("password"):
        raise ActivationError("Reconnect with the ActionKit staff credentials first: they were removed when syncing was turned off.")
    client = client_for(connection)
    try:
        client.import_page_ensure(name=sync_settings(connection).import_page, title=IMPORT_PAGE_TITLE)
        total = client.users_total()
    finally:
        client.close()
    connection = _activate(connection=connection, actor=actor, total=total)
    _push_offline_changes(connection)
    return connection


def _push_offline_changes(connection: Connection) -> None:
    """Members edited while Sync Accounts was off: send what ActionKit missed."""
    stale = MemberLink.objects.filter(connection=connection, member__updated_at__gt=F("updated_at")).select_related("member")
    for link in stale.iterator(chunk_size=500):
        member_push_changes(member=link.member)


@transaction.atomic
def _activate(*, connection: Connection, actor, total: int | None) -> Connection:
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    group = Group.objects.filter(pk=connection.config.get("primary_group_id"), entity=connection.entity).first()
    if group is None:
        group = Group.objects.create(entity=connection.entity, name=PRIMARY_GROUP_NAME, kind=Group.Kind.PRIMARY,
                                     connection=connection)
    connection_update_config(connection=connection, actor=actor, changes={
        "sync_accounts": True, "primary_group_id": group.pk,
        "import_page": connection.config.get("import_page") or IMPORT_PAGE_NAME})  # Older connections keep theirs.
    cursor, _ = SyncCursor.objects.get_or_create(connection=connection, stream="users")
    state = {**cursor.state, "total": total, "activated_at": timezone.now().isoformat()}
    if not cursor.state.get("initial_done"):
        state["initial_started_at"] = timezone.now().isoformat()
    SyncCursor.objects.filter(pk=cursor.pk).update(state=state)
    audit_record(entity=connection.entity, actor=actor, action="strive.sync_activated", target=KIND)
    transaction.on_commit(partial(_start_poll, connection.pk))
    return connection


def _start_poll(connection_id: int) -> None:
    """Activation starts the initial user sync, and whatever other apps registered (the activity app: the first
    pull of pages and usergroups) at once."""
    users_poll_task.delay(connection_id)
    activation_hooks_run(connection_id)


@transaction.atomic
def sync_deactivate(*, connection: Connection, actor) -> Connection:
    """Sync Accounts OFF: stop at once and forget the credentials. Members, groups, links and cursors stay."""
    connection_update_config(connection=connection, changes={"sync_accounts": False}, actor=actor)
    return connection_disconnect(connection=connection, actor=actor, reason="Sync Accounts was turned off.")
