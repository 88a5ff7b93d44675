"""Thin tasks on the polls queue: they take ids and call the service of the same name, which refetches and leaves
quietly when the row is gone. Each task imports its service inside its body; services import these at the top."""

from celery import shared_task

from integrations.budget import OutOfTime, task_deadline


@shared_task(name="strive_activity.poll_all")
def poll_all() -> int:
    """Beat, every 10 minutes: one poll task per connection, each under its own lease."""
    from strive.activity.services import poll

    return poll.poll_all()


@shared_task(name="strive_activity.poll_connection")
def poll_connection(connection_id: int) -> dict | None:
    from strive.activity.services import poll

    result = poll.poll_connection(connection_id=connection_id)
    if result and result.get("more"):  # Out of time: a fresh task goes on from the cursors.
        poll_connection.delay(connection_id)
    return result


@shared_task(name="strive_activity.page_import")
def page_import(page_id: int) -> int | None:
    from strive.activity.services import pages

    try:
        return pages.page_import(page_id=page_id, deadline=task_deadline())
    except OutOfTime:
        page_import.delay(page_id)  # A fresh task reads on from the import's cursor.
        return None


@shared_task(name="strive_activity.usergroup_refresh")
def usergroup_refresh(usergroup_id: int) -> dict | None:
    from strive.activity.services import usergroups

    return usergroups.usergroup_refresh(usergroup_id=usergroup_id)


@shared_task(name="strive_activity.webhook_events_process")
def webhook_events_process(connection_id: int) -> int:
    """Turn stored webhook bodies into actions, a batch per run; a full batch queues the next run."""
    from strive.activity.services import webhooks

    taken, left = webhooks.webhook_events_process(connection_id=connection_id)
    if left:
        webhook_events_process.delay(connection_id)
    return taken


@shared_task(name="strive_activity.automation_runs_send")
def automation_runs_send(run_ids: list[int]) -> int:
    from strive.activity.services import automations

    return automations.automation_runs_send(run_ids=run_ids)
