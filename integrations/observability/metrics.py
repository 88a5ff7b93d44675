"""What /metrics reports. Every query is an indexed GROUP BY or an index seek, so it stays cheap at millions of rows.

The whole text is cached for METRICS_CACHE_SECONDS (15 s by default): scrapers from several Prometheus replicas
then cost one set of queries per interval, not one per scrape.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from integrations.models import Backfill, Connection, Delivery, SyncCursor
from integrations.observability.exposition import Gauge, render
from integrations.ratelimit import throttle_for

logger = logging.getLogger(__name__)

CACHE_KEY = "ops:metrics:text"
LANE_QUEUES = {Delivery.Lane.LIVE: "deliveries", Delivery.Lane.BACKFILL: "backfills"}


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
    gauges = [deliveries_by_status(), oldest_due_age(now), connections_by_status(), *poll_lag(now),
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
