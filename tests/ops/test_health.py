import pytest
from django.core.cache import cache
from django.utils import timezone

from integrations.observability import beacons

# Not imported from integrations.tasks at module level: importing the tasks at collection registers them with the
# Celery app for every test collected after this file (tests/actblue/test_backfill.py depends on that not happening).
BEAT_HEARTBEAT_KEY = "integrations:beat-heartbeat"


def test_the_heartbeat_key_is_the_tasks_key():
    from integrations.tasks import BEAT_HEARTBEAT_KEY as key

    assert key == BEAT_HEARTBEAT_KEY


@pytest.fixture(autouse=True)
def _clean_beacons():
    cache.delete_many([beacons.WORKERS_INDEX_KEY, beacons.BEAT_KEY, BEAT_HEARTBEAT_KEY])
    yield
    cache.delete_many([beacons.WORKERS_INDEX_KEY, beacons.BEAT_KEY, BEAT_HEARTBEAT_KEY])


@pytest.mark.django_db
def test_healthz_says_when_no_worker_or_beat_runs(client):
    body = client.get("/healthz").json()
    assert body["ok"] is True  # The web itself is fine: database and broker answer.
    assert body["workers_ok"] is False
    assert body["checks"]["beat"]["ok"] is False
    assert "no worker consumes live, housekeeping, polls, backfills, imports" in body["checks"]["workers"]["detail"]


@pytest.mark.django_db
def test_healthz_lists_live_workers_and_uncovered_queues(client):
    beacons._write_worker("w1@host", ["live", "housekeeping", "polls"])
    beacons._write_beat()
    cache.set(BEAT_HEARTBEAT_KEY, timezone.now().isoformat())
    body = client.get("/healthz").json()
    assert body["checks"]["workers"]["workers"] == {"w1@host": ["live", "housekeeping", "polls"]}
    assert body["checks"]["workers"]["detail"] == "1 live; no worker consumes backfills, imports"
    assert body["checks"]["beat"]["ok"] is True and body["workers_ok"] is False
    beacons._write_worker("w2@host", ["backfills", "imports"])
    body = client.get("/healthz").json()
    assert body["workers_ok"] is True and body["checks"]["workers"]["ok"] is True


@pytest.mark.django_db
def test_a_worker_whose_beacon_expired_is_gone(client):
    beacons._write_worker("w1@host", ["live", "housekeeping", "polls", "backfills", "imports"])
    cache.delete(beacons.worker_key("w1@host"))  # What the TTL does after 45 s of silence.
    assert client.get("/healthz").json()["checks"]["workers"]["workers"] == {}
