from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Backfill, Connection, Delivery, Entity, SyncCursor

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_CACHE_SECONDS = 0
    return settings


def _scrape(client, token=TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def _samples(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}


@pytest.mark.django_db
def test_metrics_require_the_bearer_token(client, metrics_settings):
    assert client.get("/metrics").status_code == 401
    assert _scrape(client, "wrong-token").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401  # No scheme.
    assert _scrape(client).status_code == 200


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
def test_metrics_report_deliveries_queues_polls_and_backfills(client, cast, metrics_settings):
    now = timezone.now()
    conn = Connection.objects.create(entity=cast.entity_a, kind="actblue", host="ak.example.org")
    for i, status in enumerate(["pending", "pending", "failed", "succeeded", "dead"]):
        Delivery.objects.create(connection=conn, key=f"k{i}", event_type="contribution", status=status,
                                next_attempt_at=now - timedelta(seconds=100 * (i + 1)))
    Delivery.objects.create(connection=conn, key="later", event_type="contribution", next_attempt_at=now + timedelta(hours=1))
    Delivery.objects.create(connection=conn, key="bf", event_type="contribution", lane="backfill",
                            next_attempt_at=now - timedelta(seconds=50))
    SyncCursor.objects.create(connection=conn, stream="users", position=now - timedelta(minutes=10),
                              last_run_finished_at=now - timedelta(minutes=1))
    Backfill.objects.create(connection=conn, status="running", planned=200, succeeded=40, failed=10)

    response = _scrape(client)

    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.content.decode())
    assert samples['akbridge_deliveries{status="pending"}'] == 4  # Two past, one future, one backfill.
    assert samples['akbridge_deliveries{status="failed"}'] == 1
    assert samples['akbridge_deliveries{status="sending"}'] == 0
    # The oldest due live row is "failed" at now-300s; the future row does not count.
    assert 299 <= samples['akbridge_delivery_oldest_due_age_seconds{lane="live",queue="live"}'] < 400
    assert 49 <= samples['akbridge_delivery_oldest_due_age_seconds{lane="backfill",queue="backfills"}'] < 150
    poll = f'{{connection_id="{conn.pk}",kind="actblue",stream="users"}}'
    assert 599 <= samples["akbridge_poll_lag_seconds" + poll] < 700
    progress = [v for k, v in samples.items() if k.startswith("akbridge_backfill_progress_ratio")]
    assert progress == [0.25]
    assert samples['akbridge_connections{kind="actblue",status="connected"}'] == 1


@pytest.mark.django_db
def test_metrics_are_cached_between_scrapes(client, cast, settings):
    from django.core.cache import cache

    from integrations.observability.metrics import CACHE_KEY

    settings.METRICS_TOKEN, settings.METRICS_CACHE_SECONDS = TOKEN, 15
    cache.delete(CACHE_KEY)
    conn = Connection.objects.create(entity=cast.entity_a, kind="actblue", host="ak.example.org")
    first = _samples(_scrape(client).content.decode())['akbridge_deliveries{status="pending"}']
    Delivery.objects.create(connection=conn, key="new", event_type="contribution")
    second = _samples(_scrape(client).content.decode())['akbridge_deliveries{status="pending"}']
    cache.delete(CACHE_KEY)
    third = _samples(_scrape(client).content.decode())['akbridge_deliveries{status="pending"}']
    assert (first, second, third) == (0, 0, 1)


def test_exposition_escapes_label_values():
    from integrations.observability.exposition import Gauge, render

    gauge = Gauge("x", "help")
    gauge.add(1.5, name='a "quoted"\nvalue\\')
    assert render([gauge]).splitlines()[-1] == 'x{name="a \\"quoted\\"\\nvalue\\\\"} 1.5'


@pytest.mark.django_db
def test_metrics_report_rate_limit_utilization_from_the_shared_limiter(client, cast, metrics_settings):
    from django.conf import settings

    from integrations.ratelimit import throttle_for

    conn = Connection.objects.create(entity=cast.entity_a, kind="actblue", host="util.example.org", records_per_minute=100)
    throttle = throttle_for(key=f"connection:{conn.pk}", per_minute=100, host=conn.host,
                            max_concurrent=settings.ACTIONKIT_MAX_CONCURRENT_PER_HOST)
    before = throttle.utilization()  # Test databases reuse ids, and the limiter's state outlives a test run.
    throttle.acquire(25)  # What a client does before sending 25 records.
    samples = _samples(_scrape(client).content.decode())
    assert samples[f'akbridge_rate_limit_utilization{{connection_id="{conn.pk}",kind="actblue"}}'] == pytest.approx(before + 0.25)


@pytest.mark.django_db
def test_metrics_report_the_oldest_due_live_row_of_each_sending_connection(client, cast, metrics_settings):
    now = timezone.now()
    waiting = Connection.objects.create(entity=cast.entity_a, kind="actblue", host="a.example.org")
    idle = Connection.objects.create(entity=cast.entity_b, kind="actblue", host="b.example.org")
    entity_c = Entity.objects.create(name="Entity C", slug="entity-c")
    halted = Connection.objects.create(entity=entity_c, kind="actblue", host="c.example.org", halted=True)
    for key, seconds, lane, status in (("old", 400, "live", "failed"), ("new", 30, "live", "pending"),
                                       ("bf", 5000, "backfill", "pending"), ("done", 9000, "live", "succeeded"),
                                       ("later", -60, "live", "pending")):
        Delivery.objects.create(connection=waiting, key=key, event_type="contribution", lane=lane, status=status,
                                next_attempt_at=now - timedelta(seconds=seconds))
    Delivery.objects.create(connection=halted, key="h", event_type="contribution", next_attempt_at=now - timedelta(hours=1))

    samples = _samples(_scrape(client).content.decode())

    age = 'akbridge_live_oldest_due_age_seconds{{connection_id="{}",kind="actblue"}}'
    assert 399 <= samples[age.format(waiting.pk)] < 500  # The failed live row; backfill and finished rows do not count.
    assert samples[age.format(idle.pk)] == 0
    assert age.format(halted.pk) not in samples  # Waits for a person to reconnect, not for a worker.


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # Publishing is the point.
def test_metrics_report_the_depth_of_each_queue(client, metrics_settings):
    from config.celery import app
    from tests.plugins.worker import purge_broker

    purge_broker()
    try:
        for queue, count in (("live", 2), ("polls", 3)):
            for _ in range(count):
                app.send_task("integrations.queue_heartbeat", args=(queue,), queue=queue)  # Published; no worker runs.
        samples = _samples(_scrape(client).content.decode())
    finally:
        purge_broker()
    depths = {queue: samples[f'akbridge_queue_depth{{queue="{queue}"}}']
              for queue in ("live", "housekeeping", "polls", "backfills", "imports")}
    assert depths == {"live": 2, "housekeeping": 0, "polls": 3, "backfills": 0, "imports": 0}


def test_an_unknown_value_is_written_as_nan():
    from integrations.observability.exposition import Gauge, render

    gauge = Gauge("x", "help")
    gauge.add(float("nan"), queue="live")
    assert render([gauge]).splitlines()[-1] == 'x{queue="live"} NaN'
