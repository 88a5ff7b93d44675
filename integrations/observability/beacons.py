"""Liveness beacons: each worker and beat process writes a cache key every few seconds from a daemon thread.

/healthz reads them, so an operator sees which workers are alive, which queues they consume, and whether beat
runs, without a broadcast ping (which the filesystem broker cannot do and which would slow every health check).
"""

import logging
import os
import socket
import threading
import time

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

BEACON_INTERVAL_SECONDS = 10
BEACON_TTL_SECONDS = 45  # Three missed beats and the process counts as gone.
WORKERS_INDEX_KEY = "ops:beacon:workers"
BEAT_KEY = "ops:beacon:beat"
BEAT_HEARTBEAT_KEY = "integrations:beat-heartbeat"
HEARTBEAT_TTL_SECONDS = 3600
HOUSEKEEPING = "housekeeping"  # config.celery.Queues.HOUSEKEEPING: beat's own tick stands for that queue.


def worker_key(name: str) -> str:
    return f"ops:beacon:worker:{name}"


def _write_worker(name: str, queues: list[str]) -> None:
    cache.set(worker_key(name), {"queues": queues, "pid": os.getpid(), "seen": timezone.now().isoformat()},
              timeout=BEACON_TTL_SECONDS)
    names = set(cache.get(WORKERS_INDEX_KEY) or [])
    if name not in names:
        cache.set(WORKERS_INDEX_KEY, sorted(names | {name}), timeout=24 * 3600)


def _write_beat() -> None:
    cache.set(BEAT_KEY, {"pid": os.getpid(), "host": socket.gethostname(), "seen": timezone.now().isoformat()},
              timeout=BEACON_TTL_SECONDS)


def _loop(write) -> None:
    while True:
        try:
            write()
        except Exception:  # A cache hiccup must never kill the worker; the next beat tries again.
            logger.warning("beacon.write.failed", exc_info=True)
        time.sleep(BEACON_INTERVAL_SECONDS)


def start_worker_beacon(name: str, queues: list[str]) -> None:
    threading.Thread(target=_loop, args=(lambda: _write_worker(name, queues),), name="ops-beacon", daemon=True).start()


def start_beat_beacon() -> None:
    threading.Thread(target=_loop, args=(_write_beat,), name="ops-beacon", daemon=True).start()


def live_workers() -> dict[str, dict]:
    names = cache.get(WORKERS_INDEX_KEY) or []
    found = cache.get_many([worker_key(name) for name in names])
    return {name: found[worker_key(name)] for name in names if worker_key(name) in found}


def beat_beacon() -> dict | None:
    return cache.get(BEAT_KEY)


def heartbeat_key(queue: str) -> str:
    return BEAT_HEARTBEAT_KEY if queue == HOUSEKEEPING else f"integrations:queue-heartbeat:{queue}"


def queue_heartbeat(queue: str) -> None:
    """Beat sends one to every other queue; a worker takes it only when it has a free slot and the tasks queued
    before it are done, so its age is how long that queue's work waits."""
    cache.set(heartbeat_key(queue), timezone.now().isoformat(), timeout=HEARTBEAT_TTL_SECONDS)


def beat_heartbeat() -> None:
    """Written by a housekeeping worker when beat's tick arrives, so /healthz sees both beat and that pool alive."""
    queue_heartbeat(HOUSEKEEPING)


def heartbeat_seen(queue: str) -> str | None:
    """When a worker last took `queue`'s heartbeat, as an ISO timestamp, or None."""
    return cache.get(heartbeat_key(queue))
