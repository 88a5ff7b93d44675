"""What /metrics reports. Every query is an indexed GROUP BY or an index seek, so it stays cheap at millions of rows.

The whole text is cached for METRICS_CACHE_SECONDS (15 s by default): scrapers from several Prometheus replicas
then cost one set of queries per interval, not one per scrape.
"""

import logging
import math
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min
from django.utils import timezone

from config.celery import Queues, app
from integrations.models import Backfill, Connection, Delivery, SyncCursor
from integrations.observability.exposition import Gauge, render
from integrations.ratelimit import throttle_for

logger = logging.getLogger(__name__)

CACHE_KEY = "ops:metrics:text"
LANE_QUEUES = {Delivery.Lane.LIVE: Queues.LIVE, Delivery.Lane.BACKFILL: Queues.BACKFILLS}


def deliveries_by_status() -> Gauge:
    """One COUNT per status: each is an index-only scan of delivery_due_idx, about half the cost of one GROUP BY
    (which PostgreSQL answers with a full table scan); the open statuses, the ones alerts watch, take milliseconds."""
    gauge = Gauge("akbridge_deliveries", "Outbox rows by status.")
    for status in Delivery.Status.values:  # Every status appears, at 0 too, so alerts on absent series are not needed.
        gauge.add(Delivery.objects.filter(status=status).count(), status=status)
    return gauge


def oldest_due_age(now) -> Gauge:
    """Seconds the longest-waiting due row of each lane has been due; 0 when nothing is waiting."""
    gauge = Gauge("akbridge_delivery_oldest_due_age_seconds",
                  "Age of the oldest pending or failed delivery that is due to be sent, per queue and lane.")
    for lane, queue in LANE_QUEUES.items():
        oldest = None
        for status in Delivery.DUE:  # One seek per status on delivery_due_idx (status, next_attempt_at).
            first = (Delivery.objects.filter(status=status, lane=lane, next_attempt_at__lte=now)
                     .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
            if first is not None and (oldest is None or first < oldest):
                oldest = first
        gauge.add((now - oldest).total_seconds() if oldest else 0, queue=queue, lane=lane)
    return gauge


def live_oldest_due_age(now) -> Gauge:
    """Per sending connection, how long its oldest due live row has waited: the number that says whether live work
    waits behind anything. One GROUP BY over the due rows (delivery_due_idx); connections with none report 0, so an
    alert needs no absent() rule. Halted, paused and disconnected connections wait for a person, not a worker, and
    are left out (akbridge_connections shows them)."""
    gauge = Gauge("akbridge_live_oldest_due_age_seconds",
                  "Seconds the oldest due live delivery of each sending connection has been due; 0 when none waits.")
    sending = (Connection.objects.exclude(status=Connection.Status.DISCONNECTED)
               .filter(halted=False, entity__paused=False).values_list("id", "kind"))
    oldest = dict(Delivery.objects.filter(status__in=Delivery.DUE, lane=Delivery.Lane.LIVE, next_attempt_at__lte=now)
                  .order_by().values("connection_id").annotate(oldest=Min("next_attempt_at"))
                  .values_list("connection_id", "oldest"))
    for connection_id, kind in sending:
        due = oldest.get(connection_id)
        gauge.add(max(0.0, (now - due).total_seconds()) if due else 0, connection_id=connection_id, kind=kind)
    return gauge


def queue_depths() -> Gauge:
    """Messages waiting in each Celery queue. Redis: LLEN of the queue's lists (kombu keeps one per priority step).
    The filesystem broker: its message files for that queue. NaN when the broker cannot be asked."""
    gauge = Gauge("akbridge_queue_depth", "Tasks waiting in each Celery queue (NaN when the broker cannot say).")
    try:
        depths = _filesystem_depths() if settings.CELERY_BROKER_URL.startswith("filesystem") else _redis_depths()
    except Exception:
        logger.warning("metrics.queue_depth.failed", exc_info=True)
        depths = {}
    for queue in Queues.ALL:
        gauge.add(depths.get(queue, math.nan), queue=queue)
    return gauge


def _filesystem_depths() -> dict[str, int]:
    # kombu's filesystem transport names each message "<ms>_<uuid>.<queue>.msg" in data_folder_in.
    counts = dict.fromkeys(Queues.ALL, 0)
    for path in Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).iterdir():
        queue = path.name.partition(".")[2].removesuffix(".msg")
        if queue in counts:
            counts[queue] += 1
    return counts


def _redis_depths() -> dict[str, int]:
    with app.connection_for_read() as conn:
        channel = conn.default_channel
        if not hasattr(channel, "client") or not hasattr(channel, "priority_steps"):
            return {}  # Not Redis: unknown.
        keys = {queue: [f"{queue}{channel.sep}{step}" if step else queue for step in channel.priority_steps]
                for queue in Queues.ALL}
        pipe = channel.client.pipeline()
        for names in keys.values():
            for name in names:
                pipe.llen(name)
        lengths = iter(pipe.execute())
        return {queue: sum(next(lengths) for _ in names) for queue, names in keys.items()}


def connections_by_status() -> Gauge:
    gauge = Gauge("akbridge_connections", "Integrations by kind and status (halted counts as error).")
    for kind, status, n in Connection.objects.order_by().values_list("kind", "status").annotate(n=Count("id")):
        gauge.add(n, kind=kind, status=status)
    return gauge


def poll_lag(now) -> list[Gauge]:
    lag = Gauge("akbridge_poll_lag_seconds", "How far behind now the poll cursor of each stream is.")
    last_run = Gauge("akbridge_poll_last_run_age_seconds", "Seconds since each stream's last poll finished.")
    cursors = (SyncCursor.objects.filter(connection__status__in=[Connection.Status.CONNECTED, Connection.Status.ERROR])
               .values_list("connection_id", "connection__kind", "stream", "position", "last_run_finished_at"))
    for connection_id, kind, stream, position, finished in cursors:
        labels = {"connection_id": connection_id, "kind": kind, "stream": stream}
        if position:
            lag.add(max(0.0, (now - position).total_seconds()), **labels)
        if finished:
            last_run.add(max(0.0, (now - finished).total_seconds()), **labels)
    return [lag, last_run]


def rate_limit_utilization() -> Gauge:
    """Share of each active connection's records-per-minute budget used in the current window (0..1)."""
    gauge = Gauge("akbridge_rate_limit_utilization", "Share of the records-per-minute budget in use, per connection.")
    for connection in Connection.objects.exclude(status=Connection.Status.DISCONNECTED).only("id", "kind", "host", "records_per_minute"):
        try:
            throttle = throttle_for(key=f"connection:{connection.pk}", per_minute=connection.budget_per_minute,
                                    host=connection.host, max_concurrent=settings.ACTIONKIT_MAX_CONCURRENT_PER_HOST)
            gauge.add(float(throttle.utilization()), connection_id=connection.pk, kind=connection.kind)
        except Exception:
            logger.warning("metrics.utilization.failed", extra={"connection_id": connection.pk}, exc_info=True)
    return gauge


def backfill_progress() -> list[Gauge]:
    planned = Gauge("akbridge_backfill_planned", "Deliveries planned by each unfinished backfill.")
    done = Gauge("akbridge_backfill_finished", "Deliveries of each unfinished backfill that succeeded or failed for good.")
    ratio = Gauge("akbridge_backfill_progress_ratio", "Finished share of each unfinished backfill's planned deliveries.")
    running = Backfill.objects.filter(status__in=[Backfill.Status.PLANNING, Backfill.Status.RUNNING]).values_list(
        "id", "connection_id", "status", "planned", "succeeded", "failed")
    for backfill_id, connection_id, status, n_planned, succeeded, failed in running:
        labels = {"backfill_id": backfill_id, "connection_id": connection_id, "status": status}
        planned.add(n_planned, **labels)
        done.add(succeeded + failed, **labels)
        ratio.add((succeeded + failed) / n_planned if n_planned else 0, **labels)
    return [planned, done, ratio]


def collect() -> str:
    now = timezone.now()
    gauges = [deliveries_by_status(), oldest_due_age(now), live_oldest_due_age(now), queue_depths(),
              connections_by_status(), *poll_lag(now),
              rate_limit_utilization(), *backfill_progress()]
    scraped = Gauge("akbridge_metrics_generated_timestamp_seconds", "When this text was computed (it is cached).")
    scraped.add(now.timestamp())
    return render([*gauges, scraped])


def metrics_text() -> str:
    seconds = settings.METRICS_CACHE_SECONDS
    if seconds <= 0:
        return collect()
    text = cache.get(CACHE_KEY)
    if text is None:
        text = collect()
        cache.set(CACHE_KEY, text, timeout=seconds)
    return text
