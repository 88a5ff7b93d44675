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
    for group in prefetched_groups(iterator, depth=depth, most=1):
        yield group[0]


def prefetched_groups(iterator: Iterator, *, depth: int, most: int) -> Iterator[list]:
    """As `prefetched`, in lists: the next item (waiting for it) plus those already read behind it, up to `most`.

    When the remote side is faster than our writes, the caller gets full lists and writes them together; when it
    is slower (a rate limit), each item is handed over as soon as it arrives.
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
        except BaseException as exc:  # Handed to the consumer, which raises it after the items before it.
            put(exc)

    threading.Thread(target=pump, name="read-ahead", daemon=True).start()
    try:
        while True:
            group, item = [], buffer.get()
            while item is not _DONE and not isinstance(item, BaseException):
                group.append(item)
                if len(group) >= most:
                    break
                try:
                    item = buffer.get_nowait()
                except queue.Empty:
                    break
            if group:
                yield group
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
    finally:
        stop.set()
