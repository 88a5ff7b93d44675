"""With a real worker and beat: /healthz sees them, and task log lines carry the id of the request that queued them."""

import json

import pytest
from django.core.cache import cache

from config.celery import Queues
from config.logging import correlation_id
from integrations.observability import beacons
from tests.plugins.worker import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_healthz_shows_live_workers_beat_and_the_heartbeat(celery_worker, client):
    cache.delete_many([beacons.WORKERS_INDEX_KEY, beacons.BEAT_KEY, *(beacons.heartbeat_key(q) for q in Queues.ALL)])
    assert client.get("/healthz").status_code == 503
    worker = celery_worker(queues="live,housekeeping,polls,backfills,imports", beat=True)
    # beat sends every queue its heartbeat at start; the worker takes each one, and both write beacons.
    response = wait_until(lambda: (lambda r: r if r.status_code == 200 else None)(client.get("/healthz")),
                          timeout=60, message=f"/healthz to see worker and beat\n{worker.tail()}")
    body = response.json()
    assert body["ok"] is True and body["workers_ok"] is True
    assert all(queue["age_seconds"] < 60 for queue in body["checks"]["queues"]["queues"].values())
    [(name, queues)] = body["checks"]["workers"]["workers"].items()
    assert sorted(queues) == sorted(Queues.ALL) and "@" in name
    worker.kill()
    cache.delete(beacons.worker_key(name))  # What the 45 s TTL does once the dead worker stops writing.
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["workers_ok"] is False


def test_a_task_logs_with_the_request_id_that_queued_it(celery_worker, cast):
    from integrations.models import Connection
    from integrations.services.deliveries import delivery_enqueue

    worker = celery_worker(queues="live,housekeeping")
    connection = Connection.objects.create(entity=cast.entity_a, kind="actblue_actionkit", host="ak.example.org")  # No ledger row: fails permanently.
    token = correlation_id.set("req0ps0c0rrelation")
    try:
        from django.db import transaction

        with transaction.atomic():
            delivery, _ = delivery_enqueue(connection=connection, key="k1", event_type="contribution", payload={})
    finally:
        correlation_id.reset(token)

    def logged():
        lines = [json.loads(line) for line in worker.tail(200_000).splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("delivery_id") == delivery.pk]

    lines = wait_until(logged, timeout=30, message="the worker to log the delivery attempt")
    assert all(line["correlation_id"] == "req0ps0c0rrelation" for line in lines), lines
    # The send scheduler's turn, queued by this enqueue, is the task that sends the row.
    assert all(line.get("task") == "integrations.deliveries_schedule" and line.get("task_id") for line in lines), lines
