"""Reading ahead in a thread: a remote system's latency overlaps our own database writes."""

import queue
import threading
from collections.abc import Iterator

_DONE = object()


def prefetched(iterator: Iterator, *, depth: int = 1_000) -> Iterator:
    """Yield what `iterator` yields, produced up to `depth` items ahead in a thread while the caller writes.

    Give it iterators that only do HTTP (a client and its throttle, never the ORM: the thread has no transaction).
    An error in the thread is raised here, in order; if the caller stops early, the thread notices within a second
    and ends.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        """False once the consumer has stopped (so a full buffer never strands this thread)."""
        while not stop.is_set():
            try:
                buffer.put(item, timeout=1)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for item in iterator:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # Handed to the consumer, which raises it.
            put(exc)

    thread = threading.Thread(target=pump, name="read-ahead", daemon=True)
    thread.start()
    try:
        while (item := buffer.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
