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
