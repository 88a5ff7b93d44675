"""The secret page-webhook URL of each connection, and receiving one webhook body.

The token is random (256 bits) and only compared with hmac.compare_digest. Admins must copy the URL, so it is shown
on the Settings pane; regenerating it invalidates the old one at once and is audited.
"""

import hmac
import json
import secrets
import time
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from actionkit import factory
from config.celery import app
from integrations.models import Connection
from integrations.parsers import NestedTooDeeply, json_loads
from integrations.services.audit import audit_record
from strive.activity.mapping import ActionIn, WebhookBodyError, webhook_body_to_action
from strive.activity.models import Page, WebhookEvent, WebhookSecret
from strive.activity.services.actions import actions_ingest, synced_pages
from strive.activity.tasks import webhook_events_process as webhook_events_process_task

TOKEN_BYTES = 32
DRAIN_DEBOUNCE_SECONDS = 1  # Bodies arriving within this window share one processing task.
WEBHOOK_BATCH = 500  # Events taken per run; the rest stay for the next run, which each new event queues.


def webhook_secret_get(*, connection: Connection) -> WebhookSecret:
    """The connection's secret, made on first use."""
    try:
        return connection.activity_webhook
    except WebhookSecret.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return WebhookSecret.objects.create(connection=connection, token=secrets.token_urlsafe(TOKEN_BYTES))
    except IntegrityError:  # Two first uses at once: the other one won.
        return WebhookSecret.objects.get(connection=connection)


def webhook_path(*, connection: Connection) -> str:
    token = webhook_secret_get(connection=connection).token
    return reverse("strive_activity_hooks:page-action", kwargs={"connection_id": connection.pk, "token": token})


@transaction.atomic
def webhook_secret_regenerate(*, connection: Connection, actor) -> WebhookSecret:
    secret = webhook_secret_get(connection=connection)
    secret.token = secrets.token_urlsafe(TOKEN_BYTES)
    secret.save(update_fields=["token"])
    audit_record(entity=connection.entity, actor=actor, action="strive.webhook_url.regenerated",
                 target=f"connection {connection.pk}", changes={"token": "new"})
    return secret


def webhook_authenticate(*, connection_id: int, token: str) -> Connection | None:
    """The connection whose URL this is, or None. Unknown ids still cost a comparison, so timing tells nothing."""
    row = (WebhookSecret.objects.filter(connection_id=connection_id)
           .select_related("connection").only("token", "connection__id", "connection__status",
                                              "connection__entity_id", "connection__kind").first())
    expected = row.token if row else secrets.token_urlsafe(TOKEN_BYTES)
    if not hmac.compare_digest(expected.encode(), str(token).encode()) or row is None:
        return None
    return row.connection if row.connection.is_active else None


def webhook_store(*, connection_id: int, token: str, action: ActionIn, payload: dict) -> bool | None:
    """Store the body once per ActionKit action id if the URL is the connection's current one, and queue its
    processing. Returns True when stored, False for a repeat, None for an unknown URL.

    The receiver's hot path is this one INSERT .. SELECT .. ON CONFLICT DO NOTHING RETURNING statement in
    autocommit: the URL check and the insert in one round trip. The token is compared by SQL equality there, as
    DRF's TokenAuthentication looks up its keys (256 random bits; no timing to learn through a database query).
    Only when nothing was inserted does the constant-time check tell a repeat from a wrong URL.
    """
    events, secrets_table = WebhookEvent._meta.db_table, WebhookSecret._meta.db_table
    connections = Connection._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events} (connection_id, ak_action_id, payload, received_at, outcome) "  # noqa: S608
            f"SELECT s.connection_id, %s, %s, %s, '' FROM {secrets_table} s JOIN {connections} c ON c.id = s.connection_id "
            "WHERE s.connection_id = %s AND s.token = %s AND c.status <> %s "
            "ON CONFLICT (connection_id, ak_action_id) DO NOTHING RETURNING id",
            [action.ak_id, json.dumps(payload), timezone.now(), connection_id, str(token),
             Connection.Status.DISCONNECTED])
        inserted = cursor.fetchone() is not None
    if inserted:
        transaction.on_commit(partial(_drain_soon, connection_id))
        return True
    return False if webhook_authenticate(connection_id=connection_id, token=token) else None


_scheduled_here: dict[int, float] = {}  # connection id -> monotonic time this process last queued a drain.


def _drain_soon(connection_id: int) -> None:
    """Queue at most one drain per connection per DRAIN_DEBOUNCE_SECONDS from this process, not one per request.

    The drain is queued to run a second after the window closes, so every body this process commits inside the
    window is in the table when it reads; the first body after the window queues the next one. Each web process
    debounces alone (no shared key to ask per request), and concurrent drains are harmless: actions are claimed
    once. Inline (eager) task runs have nothing to batch and go straight through. A lost drain is caught by the
    next poll.
    """
    if app.conf.task_always_eager:
        webhook_events_process_task.delay(connection_id)
        return
    now = time.monotonic()
    if now - _scheduled_here.get(connection_id, -1e9) < DRAIN_DEBOUNCE_SECONDS:
        return
    _scheduled_here[connection_id] = now
    webhook_events_process_task.apply_async((connection_id,), countdown=DRAIN_DEBOUNCE_SECONDS + 1)


def webhook_events_drain(*, connection: Connection, client, limit: int = WEBHOOK_BATCH) -> tuple[int, bool]:
    """Process up to `limit` stored bodies, oldest first. Returns (actions processed, whether more are waiting).

    Also run by every poll, so a body whose task was lost (broker down at commit) is still taken in.
    """
    # The payload comes as text and is parsed here, one body at a time: a body that cannot be read (stored before
    # the receiver refused it, say nested too deeply to load or with an out-of-range id) is marked refused
    # instead of failing the whole batch on every run, which would hold up every body behind it.
    rows = list(WebhookEvent.objects.filter(connection=connection, processed_at__isnull=True).order_by("id")
                .values_list("pk", Cast("payload", TextField()))[:limit])
    if not rows:
        return 0, False
    pages = synced_pages(connection=connection)
    readable, outcomes = {}, defaultdict(set)
    for pk, raw in rows:
        try:
            readable[pk] = webhook_body_to_action(json_loads(raw))
        except ValueError as exc:  # WebhookBodyError and NestedTooDeeply are ValueErrors that name the problem.
            outcomes[f"Refused: {exc}"[:200] if isinstance(exc, WebhookBodyError | NestedTooDeeply)
                     else "Refused: the stored body is not valid JSON."].add(pk)
    readable = pages_by_short_name(connection=connection, items=readable, outcomes=outcomes)
    stats = actions_ingest(connection=connection, items=list(readable.values()), source="webhook", client=client,
                           pages=pages)
    for pk, item in readable.items():
        outcomes["Taken in." if item.page_ak_id in pages else "Ignored: the page is not synced."].add(pk)
    now = timezone.now()
    for outcome, ids in outcomes.items():
        WebhookEvent.objects.filter(pk__in=ids, processed_at__isnull=True).update(processed_at=now, outcome=outcome)
    return stats.processed, len(rows) == limit


def pages_by_short_name(*, connection: Connection, items: dict, outcomes: dict) -> dict:
    """Bodies that name their page by short name get its id from this connection's own pages (a short name is
    unique within one ActionKit); a name none of them has is ignored with that reason."""
    names = {item.page_name for item in items.values() if item.page_name}
    if not names:
        return items
    ids = dict(Page.objects.filter(connection=connection, name__in=names).values_list("name", "ak_id"))
    resolved = {}
    for pk, item in items.items():
        if item.page_name and item.page_name not in ids:
            outcomes["Ignored: no page of this ActionKit has that short name yet."].add(pk)
        else:
            resolved[pk] = replace(item, page_ak_id=ids[item.page_name]) if item.page_name else item
    return resolved


def webhook_events_process(*, connection_id: int, client=None) -> tuple[int, bool]:
    """Turn one batch of this connection's stored bodies into actions: (actions processed, whether more are waiting).
    Concurrent runs are harmless: actions are claimed one time."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return 0, False
    client = factory.client_for(connection) if client is None else client
    return webhook_events_drain(connection=connection, client=client, limit=WEBHOOK_BATCH)


WEBHOOK_EVENT_RETENTION = timedelta(days=7)  # Processed bodies kept this long for support, then deleted.


def webhook_events_prune(*, connection: Connection) -> int:
    """Delete processed bodies past retention: the Action rows keep what matters, without the raw payload."""
    cutoff = timezone.now() - WEBHOOK_EVENT_RETENTION
    deleted, _ = WebhookEvent.objects.filter(connection=connection, processed_at__lt=cutoff).delete()
    return deleted
