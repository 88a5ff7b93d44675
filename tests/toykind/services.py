"""The toy kind's backfill planner: source ids 1 to SOURCE_COUNT, written as backfill rows under their live keys."""

from integrations.models import Delivery
from integrations.registry import BackfillChunk

SOURCE_COUNT = 3


def plan_backfill_chunk(backfill, after_id: int, limit: int) -> BackfillChunk:
    last = min(after_id + limit, SOURCE_COUNT)
    for source_id in range(after_id + 1, last + 1):
        Delivery.objects.get_or_create(connection=backfill.connection, key=f"toy:item:{source_id}", defaults={
            "event_type": "item", "lane": Delivery.Lane.BACKFILL, "backfill": backfill, "source_id": source_id})
    return BackfillChunk(planned=last - after_id, last_source_id=last, done=last >= SOURCE_COUNT)
