"""Losing the broker's queued messages, the way a broker restart without persistence does."""

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings


def lose_queued_tasks() -> int:
    """Delete every queued task. Filesystem broker: the message files. Redis: FLUSHDB of the test's own db only
    (never a server restart: the Redis server is shared). Returns how many messages were deleted (-1 if unknown)."""
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        files = [path for path in folder.iterdir() if path.is_file()]
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)
    url = urlsplit(settings.CELERY_BROKER_URL)
    db = (url.path or "/0").strip("/") or "0"
    before = _queued_on_redis()
    subprocess.run(["redis-cli", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379), "-n", db, "FLUSHDB"],
                   check=True, capture_output=True, timeout=10)
    return before


def _queued_on_redis() -> int:
    from config.celery import Queues, app

    with app.connection_for_write() as conn:
        return sum(conn.default_channel.client.llen(queue) for queue in Queues.ALL)
