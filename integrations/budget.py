"""One time budget for every task: work for about TASK_BUDGET_SECONDS, then hand over to a fresh task.

A task that runs for minutes holds its worker slot for minutes; cut into short tasks, the same work leaves the
pool free for whatever was queued behind it, and the Celery time limits (config/celery.py) stay tight.
"""

import time

from django.conf import settings


class OutOfTime(Exception):
    """Raised between two steps once a task's budget is spent; its task queues the continuation."""


def task_deadline(seconds: float | None = None) -> float:
    """The time.monotonic() value after which a task should hand over."""
    return time.monotonic() + (settings.TASK_BUDGET_SECONDS if seconds is None else seconds)


def out_of_time(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline
