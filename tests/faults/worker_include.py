"""Imported by the fault suite's worker (`celery worker --include tests.faults.worker_include`): the probe kind, and
a task that holds its worker slot, as a long poll or backfill task did before tasks handed over after seconds."""

import time

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from tests.faults.probe_kind import register

register()

OCCUPY_TASK = "tests.faults.occupy"


@shared_task(name=OCCUPY_TASK)
def occupy(key: str, seconds: float) -> None:
    """Hold a slot for `seconds`; the first start and the first finish of `key` go to the cache, for ordering."""
    cache.add(f"{key}:started", timezone.now().isoformat(), timeout=600)
    time.sleep(seconds)
    cache.add(f"{key}:finished", timezone.now().isoformat(), timeout=600)
