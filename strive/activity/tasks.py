"""Thin tasks on the polls queue: take ids, refetch, call one service, leave quietly when the row is gone."""

from celery import shared_task

from integrations.models import Connection
from strive.activity.models import Page, Usergroup


def _client(connection):
    from actionkit.factory import client_for

    return client_for(connection)


@shared_task(name="strive_activity.poll_all")
def poll_all() -> int:
    """Beat, every 10 minutes: one poll task per connection, each under its own lease."""
    from strive.activity.services.poll import connections_to_poll

    ids = list(connections_to_poll().values_list("pk", flat=True))
    for connection_id in ids:
        poll_connection.delay(connection_id)
    return len(ids)


@shared_task(name="strive_activity.poll_connection")
def poll_connection(connection_id: int) -> dict | None:
    from strive.activity.services.poll import activity_poll

    return activity_poll(connection_id=connection_id)


@shared_task(name="strive_activity.page_import")
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


@shared_task(name="strive_activity.usergroup_refresh")
def usergroup_refresh(usergroup_id: int) -> dict | None:
    from strive.activity.services.usergroups import usergroup_members_refresh

    usergroup = Usergroup.objects.select_related("connection").filter(pk=usergroup_id, synced=True).first()
    if usergroup is None:
        return None
    return usergroup_members_refresh(usergroup=usergroup, client=_client(usergroup.connection))


@shared_task(name="strive_activity.webhook_events_process")
def webhook_events_process(connection_id: int) -> int:
    """Turn stored webhook bodies into actions. Concurrent runs are harmless: actions are claimed one time."""
    from strive.activity.services.webhooks import WEBHOOK_BATCH, webhook_events_drain

    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return 0
    taken, left = webhook_events_drain(connection=connection, client=_client(connection), limit=WEBHOOK_BATCH)
    if left:
        webhook_events_process.delay(connection_id)
    return taken


@shared_task(name="strive_activity.automation_runs_send")
def automation_runs_send(run_ids: list[int]) -> int:
    from strive.activity.services.automations import automation_run_send

    return sum(1 for run_id in run_ids if automation_run_send(run_id=run_id))
