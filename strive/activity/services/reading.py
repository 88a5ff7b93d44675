"""Reading long action lists from ActionKit without deep offsets.

ActionKit pages lists with `_offset`, and a server skips every earlier row for each page, so one listing of
100,000 actions costs O(n²) row skips. Instead each listing stops after WINDOW rows and a new one starts from
the last `updated_at` seen (a keyset on time). Rows sharing that second are read twice; ingest is idempotent by
action id, so the repeat costs only the read.
"""

from collections.abc import Iterator
from datetime import datetime

from strive.activity.mapping import ActionIn, action_from_ak

WINDOW = 5_000  # Rows per listing before re-anchoring; 50 requests of 100.


def _second(value: datetime | None):
    return value.replace(microsecond=0) if value else None


def actions_read(client, *, since: datetime | None, page_ids: list[int], window: int = WINDOW) -> Iterator[ActionIn]:
    while True:
        count, last = 0, None
        for raw in client.actions_updated_since(since, page_ids=page_ids):
            action = action_from_ak(raw)
            if action is None:
                continue
            yield action
            count, last = count + 1, action.updated_at or last
            # Re-anchor only when time moved on: a window inside one second would repeat itself forever.
            if count >= window and last is not None and _second(last) != _second(since):
                break
        else:
            return
        since = last


_DONE = object()


def prefetched(iterator: Iterator, *, depth: int = 1_000) -> Iterator:
    """Read ahead in a thread while the caller writes to the database: ActionKit's latency and our inserts overlap.

    The thread only does HTTP (the client and its throttle, never the ORM). An error in it is raised here, in
    order; if the caller stops early, the thread notices within a second and ends.
    """
    import queue
    import threading

    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def pump() -> None:
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(_DONE)
        except BaseException as exc:  # Handed to the consumer, which raises it.
            buffer.put(exc)

    thread = threading.Thread(target=pump, name="activity-prefetch", daemon=True)
    thread.start()
    try:
        while (item := buffer.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
