"""Thin tasks on the polls queue: take ids, refetch, call one service, leave quietly when the row is gone."""

from celery import shared_task
from django.utils import timezone

from config.celery import Queues
from strive.activity.mapping import webhook_body_to_action
from strive.activity.models import Page, Usergroup, WebhookEvent

WEBHOOK_BATCH = 500  # Events taken per run; the rest stay for the next run, which each new event queues.


def _client(connection):
    from actionkit.factory import client_for

    return client_for(connection)


@shared_task(name="strive_activity.poll_all", queue=Queues.POLLS)
def poll_all() -> int:
    """Beat, every 10 minutes: one poll task per connection, each under its own lease."""
    from strive.activity.services.poll import connections_to_poll

    ids = list(connections_to_poll().values_list("pk", flat=True))
    for connection_id in ids:
        poll_connection.delay(connection_id)
    return len(ids)


@shared_task(name="strive_activity.poll_connection", queue=Queues.POLLS)
def poll_connection(connection_id: int) -> dict | None:
    from strive.activity.services.poll import activity_poll

    return activity_poll(connection_id=connection_id)


@shared_task(name="strive_activity.page_import", queue=Queues.POLLS)
def page_import(page_id: int) -> int:
    from strive.activity.services.pages import page_import as import_page

    page = Page.objects.select_related("connection").filter(pk=page_id).first()
    if page is None:
        return 0
    try:
        return import_page(page_id=page_id, client=_client(page.connection))
    except Exception:
        Page.objects.filter(pk=page_id).update(import_status="failed")
        raise


@shared_task(name="strive_activity.usergroup_refresh", queue=Queues.POLLS)
def usergroup_refresh(usergroup_id: int) -> dict | None:
    from strive.activity.services.usergroups import usergroup_members_refresh

    usergroup = Usergroup.objects.select_related("connection").filter(pk=usergroup_id, synced=True).first()
    if usergroup is None:
        return None
    return usergroup_members_refresh(usergroup=usergroup, client=_client(usergroup.connection))


@shared_task(name="strive_activity.webhook_events_process", queue=Queues.POLLS)
def webhook_events_process(connection_id: int) -> int:
    """Turn stored webhook bodies into actions. Concurrent runs are harmless: actions are claimed one time."""
    from strive.activity.services.actions import actions_ingest, synced_pages

    events = list(WebhookEvent.objects.filter(connection_id=connection_id, processed_at__isnull=True)
                  .select_related("connection").order_by("id")[:WEBHOOK_BATCH])
    if not events:
        return 0
    connection = events[0].connection
    pages = synced_pages(connection=connection)
    items = [webhook_body_to_action(e.payload) for e in events]
    stats = actions_ingest(connection=connection, items=items, source="webhook", client=_client(connection),
                           pages=pages)
    taken = [e.pk for e, item in zip(events, items, strict=True) if item.page_ak_id in pages]
    ignored = [e.pk for e in events if e.pk not in set(taken)]
    now = timezone.now()
    for ids, outcome in ((taken, "Taken in."), (ignored, "Ignored: the page is not synced.")):
        WebhookEvent.objects.filter(pk__in=ids, processed_at__isnull=True).update(processed_at=now, outcome=outcome)
    if len(events) == WEBHOOK_BATCH:
        webhook_events_process.delay(connection_id)
    return stats.processed


@shared_task(name="strive_activity.automation_runs_send", queue=Queues.POLLS)
def automation_runs_send(run_ids: list[int]) -> int:
    from strive.activity.services.automations import automation_run_send

    return sum(1 for run_id in run_ids if automation_run_send(run_id=run_id))
