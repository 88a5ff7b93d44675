"""Thin tasks: ids in, the service of the same name called. Names are permanent (the beat schedule names
strive.poll_all). Each task imports its service inside its body; services import these at the top."""

from celery import shared_task

from config.celery import Queues


@shared_task(name="strive.poll_all")
def poll_all() -> int:
    """Fan out one poll per active integration; each poll takes its own lease, so overlapping ticks are harmless."""
    from strive.services import polls

    return polls.poll_all()


@shared_task(name="strive.users_poll")
def users_poll(connection_id: int) -> str:
    from strive.services import polls

    result = polls.users_poll(connection_id=connection_id)
    if result.status == "more":  # Long initial syncs continue in a fresh task, well inside the time limit.
        users_poll.apply_async((connection_id,), queue=Queues.POLLS)
    elif result.status == "throttled":
        users_poll.apply_async((connection_id,), queue=Queues.POLLS, countdown=min(result.retry_after or 30, 300))
    return result.status
