"""Thin tasks: ids in, one service call. Names are permanent (the beat schedule names strive.poll_all)."""

from celery import shared_task

from config.celery import Queues
from integrations.models import Connection
from strive.services.config import KIND, sync_settings


@shared_task(name="strive.poll_all")
def poll_all() -> int:
    """Fan out one poll per active integration; each poll takes its own lease, so overlapping ticks are harmless."""
    count = 0
    for connection in Connection.objects.filter(kind=KIND).exclude(status=Connection.Status.DISCONNECTED):
        if not sync_settings(connection).active:
            continue
        users_poll.apply_async((connection.pk,), queue=Queues.POLLS)
        count += 1
    return count


@shared_task(name="strive.users_poll")
def users_poll(connection_id: int) -> str:
    from strive.services.polls import users_poll as run

    result = run(connection_id=connection_id)
    if result.status == "more":  # Long initial syncs continue in a fresh task, well inside the time limit.
        users_poll.apply_async((connection_id,), queue=Queues.POLLS)
    elif result.status == "throttled":
        users_poll.apply_async((connection_id,), queue=Queues.POLLS, countdown=min(result.retry_after or 30, 300))
    return result.status
