"""A kind's prepare_batch, as the scheduler uses it: once per claimed batch, its payloads handed to `send` row by
row, and a row it leaves out (or every row, when it crashes) sent the per-row way with its usual outcome."""

import logging

import pytest

from integrations import registry
from integrations.models import Connection, Delivery, Entity
from integrations.registry import Kind, Outcome
from integrations.services import deliveries, pump

pytestmark = pytest.mark.django_db

UNPACED = 6_000_000  # Records per minute: no turn waits on a budget.


class PreparingKind:
    """prepare_batch and send of a test kind: payloads for even source ids only, or a crash when told."""

    def __init__(self):
        self.batches: list[list[str]] = []
        self.sent: list[tuple[str, str | None]] = []  # (key, payload) in send order; None: sent unprepared.
        self.crash = False

    def prepare_batch(self, deliveries):
        self.batches.append([d.key for d in deliveries])
        if self.crash:
            raise RuntimeError("the ledger is unreachable")
        return {d.id: f"body:{d.source_id}" for d in deliveries if d.source_id % 2 == 0}

    def send(self, connection, delivery, *payload):
        self.sent.append((delivery.key, *payload) if payload else (delivery.key, None))
        if delivery.source_id == 13:
            return Outcome(Outcome.PERMANENT, detail="Gone.")
        return Outcome(Outcome.SUCCESS, status_code=200, remote_ref=f"ref:{delivery.source_id}")


@pytest.fixture
def preparing(monkeypatch):
    kind = PreparingKind()
    monkeypatch.setitem(registry._KINDS, "preparing", Kind(
        slug="preparing", title="Preparing", description="", connect_url="home", detail_url="home",
        send=kind.send, prepare_batch=kind.prepare_batch))
    return kind


@pytest.fixture
def connection(db):
    entity = Entity.objects.create(name="P", slug="p")
    return Connection.objects.create(entity=entity, kind="preparing", host="ak.example.org", records_per_minute=UNPACED)


def _rows(connection, source_ids) -> list[Delivery]:
    return Delivery.objects.bulk_create([Delivery(connection=connection, key=f"item:{n}", event_type="item",
                                                  source_id=n) for n in source_ids])


def test_it_prepares_once_per_batch_and_sends_each_row_with_its_payload(preparing, connection, monkeypatch):
    monkeypatch.setattr(pump, "BATCH", 3)
    _rows(connection, [10, 11, 12, 13, 14])
    assert pump.connection_pump(connection_id=connection.pk) == 4
    assert preparing.batches == [["item:10", "item:11", "item:12"], ["item:13", "item:14"]]
    assert preparing.sent == [("item:10", "body:10"), ("item:11", None), ("item:12", "body:12"), ("item:13", None),
                              ("item:14", "body:14")]
    statuses = dict(Delivery.objects.values_list("key", "status"))
    assert statuses.pop("item:13") == Delivery.Status.DEAD
    assert set(statuses.values()) == {Delivery.Status.SUCCEEDED}


def test_a_crashing_prepare_leaves_every_row_to_its_own_send(preparing, connection, caplog):
    preparing.crash = True
    _rows(connection, [20, 13, 22])
    with caplog.at_level(logging.ERROR, logger="integrations.services.deliveries"):
        assert pump.connection_pump(connection_id=connection.pk) == 2
    assert [r.getMessage() for r in caplog.records] == ["delivery.prepare.crashed"]
    assert preparing.sent == [("item:20", None), ("item:13", None), ("item:22", None)]
    assert dict(Delivery.objects.values_list("key", "status")) == {
        "item:20": Delivery.Status.SUCCEEDED, "item:13": Delivery.Status.DEAD, "item:22": Delivery.Status.SUCCEEDED}
    assert Delivery.objects.get(key="item:13").last_error == "Gone."


def test_a_row_sent_alone_is_not_prepared(preparing, connection):
    (row,) = _rows(connection, [30])
    assert deliveries.delivery_send_one(delivery_id=row.pk) == Outcome.SUCCESS
    assert (preparing.batches, preparing.sent) == ([], [("item:30", None)])


@pytest.mark.django_db(transaction=True)
def test_sender_threads_get_each_rows_own_payload(preparing, settings):
    settings.DELIVERY_SENDS_IN_FLIGHT = 3  # Committed rows: sender threads can see them.
    for slug in ("p1", "p2"):
        entity = Entity.objects.create(name=slug, slug=slug)
        other = Connection.objects.create(entity=entity, kind="preparing", host=f"{slug}.example.org",
                                          records_per_minute=UNPACED)
        _rows(other, range(100, 160))
    assert pump.schedule_turn(lane=Delivery.Lane.LIVE, seconds=20) == 120
    assert sorted(preparing.sent) == sorted(
        (f"item:{n}", f"body:{n}" if n % 2 == 0 else None) for n in range(100, 160) for _ in range(2))
    assert Delivery.objects.filter(status=Delivery.Status.SUCCEEDED, attempts=1).count() == 120
