from django.db import transaction
from django.utils import timezone

from integrations.models import Connection, Entity
from integrations.services.audit import audit_record
from integrations.services.deliveries import deliveries_sweep_queue


@transaction.atomic
def connection_connect(*, entity: Entity, kind: str, host: str, config: dict, secrets: dict, actor) -> Connection:
    """Create the connection, or bring a disconnected or halted one back with new credentials.

    The caller has already verified the credentials against the remote system. Reconnecting reuses the row,
    so its ledger, cursors and history continue and nothing is sent twice.
    """
    connection = Connection.objects.select_for_update().filter(entity=entity, kind=kind).first()
    now = timezone.now()
    if connection is None:
        connection = Connection(entity=entity, kind=kind, created_by=actor if actor and actor.is_authenticated else None,
                                created_at=now)
        action = "connection.created"
    else:
        action = "connection.reconnected"
    connection.host, connection.secrets = host, secrets
    connection.config = {**connection.config, **config}
    connection.status, connection.status_reason, connection.halted = Connection.Status.CONNECTED, "", False
    connection.consecutive_failures, connection.first_failure_at = 0, None
    connection.connected_at, connection.disconnected_at = now, None
    connection.connected_by = actor if actor and actor.is_authenticated else None
    connection.save()
    audit_record(entity=entity, actor=actor, action=action, target=kind,
                 changes={"host": host, **{k: v for k, v in config.items()}, "password": "set"})
    transaction.on_commit(deliveries_sweep_queue)
    return connection


@transaction.atomic
def connection_update_config(*, connection: Connection, changes: dict, actor) -> Connection:
    """Merge `changes` into the stored config under a row lock: keys another process wrote since `connection` was
    loaded (the compatibility check's answer, say) are kept."""
    stored = Connection.objects.select_for_update().only("config").get(pk=connection.pk).config
    before = {key: stored.get(key) for key in changes}
    connection.config = {**stored, **changes}
    connection.save(update_fields=["config", "updated_at"])
    diff = {key: [before[key], value] for key, value in changes.items() if before[key] != value}
    if diff:
        audit_record(entity=connection.entity, actor=actor, action="connection.settings_changed", target=connection.kind,
                     changes=diff)
    return connection


@transaction.atomic
def connection_disconnect(*, connection: Connection, actor, reason: str = "") -> Connection:
    """Stop all sending at once and forget the credentials. Every record stays; queued tasks find it disconnected."""
    connection.status, connection.status_reason = Connection.Status.DISCONNECTED, reason
    connection.secrets, connection.halted = {}, False
    connection.disconnected_at = timezone.now()
    connection.save(update_fields=["status", "status_reason", "secrets", "halted", "disconnected_at", "updated_at"])
    audit_record(entity=connection.entity, actor=actor, action="connection.disconnected", target=connection.kind)
    return connection


@transaction.atomic
def connection_set_rate_limit(*, connection: Connection, records_per_minute: int, actor) -> Connection:
    before = connection.records_per_minute
    connection.records_per_minute = records_per_minute
    connection.save(update_fields=["records_per_minute", "updated_at"])
    audit_record(entity=connection.entity, actor=actor, action="connection.rate_limit_changed", target=connection.kind,
                 changes={"records_per_minute": [before, records_per_minute]})
    return connection

