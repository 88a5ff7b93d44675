from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from integrations.observability import beacons

# Spelled out rather than read from beacons, so a renamed key fails here instead of passing silently.
BEAT_HEARTBEAT_KEY = "integrations:beat-heartbeat"
QUEUES = ["live", "housekeeping", "polls", "backfills", "imports"]


def _heartbeat_key(queue: str) -> str:
    return BEAT_HEARTBEAT_KEY if queue == "housekeeping" else f"integrations:queue-heartbeat:{queue}"


KEYS = [beacons.WORKERS_INDEX_KEY, beacons.BEAT_KEY, *(_heartbeat_key(q) for q in QUEUES)]


def test_the_heartbeat_keys_are_the_tasks_keys():
    assert [beacons.heartbeat_key(q) for q in QUEUES] == [_heartbeat_key(q) for q in QUEUES]


@pytest.fixture(autouse=True)
def _clean_beacons():
    cache.delete_many(KEYS)
    yield
    cache.delete_many(KEYS)


def _beat(queue: str, seconds_ago: float = 0) -> None:
    cache.set(_heartbeat_key(queue), (timezone.now() - timedelta(seconds=seconds_ago)).isoformat())


def _all_alive() -> None:
    beacons._write_worker("live@host", ["housekeeping", "live"])
    beacons._write_worker("bulk@host", ["backfills", "imports", "polls"])
    beacons._write_beat()
    for queue in QUEUES:
        _beat(queue)


@pytest.mark.django_db
def test_healthz_is_503_when_no_worker_or_beat_runs(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503 and body["ok"] is False
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]  # The web itself is fine ...
    assert body["workers_ok"] is False and body["checks"]["beat"]["ok"] is False  # ... but nothing works behind it.
    assert "no worker consumes live, housekeeping, polls, backfills, imports" in body["checks"]["workers"]["detail"]
    assert body["checks"]["queues"]["queues"]["live"]["detail"] == "no heartbeat taken yet"


@pytest.mark.django_db
def test_healthz_is_200_only_when_every_pool_takes_work(client):
    _all_alive()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["ok"] is True and response.json()["workers_ok"] is True
    assert response.json()["checks"]["workers"]["workers"] == {"live@host": ["housekeeping", "live"],
                                                               "bulk@host": ["backfills", "imports", "polls"]}


@pytest.mark.django_db
def test_a_stale_beat_tick_is_503_and_says_how_stale(client):
    """The repro: the worker check read "last heartbeat 757s ago" while /healthz answered 200 and ok."""
    _all_alive()
    _beat("housekeeping", seconds_ago=757)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503 and body["ok"] is False
    housekeeping = body["checks"]["queues"]["queues"]["housekeeping"]
    assert housekeeping["ok"] is False and housekeeping["detail"] == "last heartbeat 757s ago (stale after 120s)"
    assert body["checks"]["queues"]["detail"] == "housekeeping stale"


@pytest.mark.django_db
def test_a_live_pool_that_takes_no_task_is_503_although_its_process_is_alive(client):
    _all_alive()
    _beat("live", seconds_ago=150)  # Its beacon is fresh, but every slot is busy: live work waits.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"]["ok"] is True
    assert response.json()["checks"]["queues"]["queues"]["live"]["age_seconds"] == 150


@pytest.mark.django_db
def test_bulk_queues_may_wait_longer_than_live_ones(client):
    _all_alive()
    _beat("polls", seconds_ago=300)  # Behind a poll fan-out: late, not down.
    assert client.get("/healthz").status_code == 200
    _beat("polls", seconds_ago=1000)
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_healthz_names_the_queues_nobody_consumes(client):
    _all_alive()
    cache.delete(beacons.worker_key("bulk@host"))  # What the 45 s TTL does after the bulk worker stops writing.
    body = client.get("/healthz").json()
    assert body["ok"] is False
    assert body["checks"]["workers"]["detail"] == "1 live; no worker consumes polls, backfills, imports"
    assert body["checks"]["workers"]["workers"] == {"live@host": ["housekeeping", "live"]}


@pytest.mark.django_db
def test_readyz_stays_200_for_load_balancers_without_workers(client):
    assert client.get("/readyz").status_code == 200
