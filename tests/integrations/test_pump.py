"""The send scheduler: turns over connections with due rows, batched claims, live before backfill, within the outbox
rules."""

import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone

from integrations.models import Backfill, Connection, Delivery, DeliveryAttempt, Entity
from integrations.registry import Outcome
from integrations.services import backfills, connections, deliveries, outcomes, pump
from tests.integrations import test_deliveries as outbox

_enqueue = outbox._enqueue
conn, sender = outbox.conn, outbox.sender  # The outbox tests' fixtures: a scripted kind and its connection.
UNPACED = 6_000_000  # Records per minute: far above what a test sends, so no turn waits on a budget.


def _statuses(*rows):
    return [Delivery.objects.get(pk=row.pk).status for row in rows]


def _connection(slug: str, per_minute: int = UNPACED) -> Connection:
    entity = Entity.objects.create(name=slug, slug=slug)
    return Connection.objects.create(entity=entity, kind="scripted", host="ak.example.org", records_per_minute=per_minute)


def _rows(connection, prefix: str, count: int, **fields) -> list[Delivery]:
    return Delivery.objects.bulk_create([Delivery(connection=connection, key=f"{prefix}:{n}", event_type="item", **fields)
                                         for n in range(count)])

# PostgreSQL claims with SKIP LOCKED; SQLite, which runs one writer at a time, with the same UPDATE … RETURNING.
ONE_STATEMENT_CLAIMS = pytest.mark.skipif(
    not (db.features.has_select_for_update_skip_locked or db.vendor == "sqlite"),
    reason="claims in one statement need PostgreSQL or SQLite")


def test_one_turn_delivers_the_backlog_in_batches(conn, sender, monkeypatch):
    monkeypatch.setattr(pump, "BATCH", 2)
    rows = [_enqueue(conn, f"item:{n}") for n in range(5)]
    assert deliveries.delivery_send(delivery_id=rows[0].pk) == 5
    assert sender.sent == [f"item:{n}" for n in range(5)]
    assert set(_statuses(*rows)) == {Delivery.Status.SUCCEEDED}
    assert DeliveryAttempt.objects.filter(outcome=Outcome.SUCCESS).count() == 5
    assert all(d.remote_ref == "ok" and d.attempts == 1 and d.claimed_at is None for d in Delivery.objects.all())
    assert deliveries.delivery_send(delivery_id=rows[1].pk) == 0  # Its trigger finds it finished.
    assert len(sender.sent) == 5


def test_a_backlog_costs_the_broker_one_message_not_one_per_row(conn, sender, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    queued = []
    Connection.objects.filter(pk=conn.pk).update(records_per_minute=UNPACED)
    monkeypatch.setattr(outcomes.deliveries_schedule_task, "apply_async", lambda **kw: queued.append("turn"))
    monkeypatch.setattr(outcomes.delivery_send_task, "apply_async", lambda *a, **kw: queued.append("row"))
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(300):
            _enqueue(conn, f"item:{n}")
    assert queued == ["turn"]  # The turn, once it runs, finds all 300 rows in the ledger.
    assert pump.deliveries_schedule() == 300


def test_a_refund_goes_after_its_contribution_and_future_rows_wait(conn, sender):
    first = _enqueue(conn, "contribution:1")
    refund = _enqueue(conn, "refund:1", depends_on=first)
    assert _statuses(refund) == [Delivery.Status.PENDING]
    later = _enqueue(conn, "item:later")
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    failed = _enqueue(conn, "item:failed")
    Delivery.objects.filter(pk=failed.pk).update(status=Delivery.Status.FAILED)
    pump.deliveries_schedule()
    assert sender.sent == ["contribution:1", "item:failed", "refund:1"]
    assert _statuses(refund, later) == [Delivery.Status.SUCCEEDED, Delivery.Status.PENDING]


def test_a_halt_mid_batch_stops_and_hands_the_rest_back_untried(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(4)]
    sender.script = [Outcome(Outcome.SUCCESS, 200, remote_ref="ok"), Outcome(Outcome.SUCCESS, 200, remote_ref="ok"),
                     Outcome(Outcome.HALT, 401, "ActionKit rejected the username or password (HTTP 401).")]
    pump.deliveries_schedule()
    assert sender.sent == ["item:0", "item:1", "item:2"]
    assert _statuses(*rows) == [Delivery.Status.SUCCEEDED, Delivery.Status.SUCCEEDED, Delivery.Status.PENDING,
                                Delivery.Status.PENDING]
    untried = Delivery.objects.get(pk=rows[3].pk)
    assert untried.attempts == 0 and untried.claimed_at is None and untried.enqueued_at is None
    conn.refresh_from_db()
    assert conn.halted


def test_a_retryable_failure_stops_the_connection_and_counts_only_that_try(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(3)]
    sender.script = [Outcome(Outcome.SUCCESS, 200, remote_ref="ok"), Outcome(Outcome.RETRYABLE, 503, "busy")]
    pump.deliveries_schedule()
    assert _statuses(*rows) == [Delivery.Status.SUCCEEDED, Delivery.Status.FAILED, Delivery.Status.PENDING]
    assert [Delivery.objects.get(pk=r.pk).attempts for r in rows] == [1, 1, 0]


def test_a_permanent_failure_does_not_stop_the_rows_behind_it(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(3)]
    sender.script = [Outcome(Outcome.PERMANENT, 422, "bad row")]
    pump.deliveries_schedule()
    assert _statuses(*rows) == [Delivery.Status.DEAD, Delivery.Status.SUCCEEDED, Delivery.Status.SUCCEEDED]


def test_nothing_is_sent_for_a_disconnected_or_paused_connection(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(3)]
    conn.entity.paused = True
    conn.entity.save()
    assert pump.connection_pump(connection_id=conn.pk) == 0
    assert pump.deliveries_schedule() == 0
    conn.entity.paused = False
    conn.entity.save()
    connections.connection_disconnect(connection=conn, actor=None)
    assert pump.deliveries_schedule() == 0
    assert sender.sent == [] and set(_statuses(*rows)) == {Delivery.Status.PENDING}
    assert Connection.objects.get(pk=conn.pk).status == Connection.Status.DISCONNECTED


def test_a_trigger_for_a_finished_row_or_a_halted_connection_sends_nothing(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(2)]
    Delivery.objects.filter(pk=rows[0].pk).update(status=Delivery.Status.SUCCEEDED)
    Connection.objects.filter(pk=conn.pk).update(halted=True)
    assert deliveries.delivery_send(delivery_id=rows[0].pk) == 0
    assert deliveries.delivery_send(delivery_id=rows[1].pk) == 0
    assert sender.sent == [] and _statuses(rows[1]) == [Delivery.Status.PENDING]


@pytest.mark.django_db
def test_a_big_backlog_does_not_hold_back_another_connections_live_row(sender):
    big, small = _connection("big"), _connection("small")
    _rows(big, "big", 200)
    _enqueue(small, "small:live")
    pump.deliveries_schedule()
    assert sender.sent.index("small:live") <= 1  # Turns alternate between connections; it went first or second.
    assert len(sender.sent) == 201


@pytest.mark.django_db
def test_a_live_row_arriving_mid_backlog_goes_out_at_the_next_look(sender, monkeypatch):
    monkeypatch.setattr(pump, "REFRESH_SECONDS", 0.0)  # Look for new rows before every send.
    big, small = _connection("big"), _connection("small")
    _rows(big, "big", 150)
    original = sender.__call__

    def send(connection, delivery):
        if delivery.key == "big:50":
            _enqueue(small, "small:live")
        return original(connection, delivery)

    monkeypatch.setattr(outbox.ScriptedSender, "__call__", lambda self, c, d: send(c, d))
    pump.deliveries_schedule()
    arrived = sender.sent.index("big:50")
    assert arrived < sender.sent.index("small:live") <= arrived + 3  # Not after the other 99 rows of the backlog.


@pytest.mark.django_db
def test_each_connection_gets_its_own_budget_whatever_the_others_backlog(sender, monkeypatch):
    # Budgets of 600/min pace each connection at one row per 0.1 s; a 2-second turn gives each about 20 rows,
    # however many the other has waiting.
    monkeypatch.setattr(outcomes.deliveries_schedule_task, "apply_async", lambda **kw: None)  # Only this one turn.
    paced = [_connection(f"paced{n}", per_minute=600) for n in range(2)]
    _rows(paced[0], "a", 400)
    _rows(paced[1], "b", 5)
    pump.deliveries_schedule(seconds=2.0)
    sent = Counter(key.split(":")[0] for key in sender.sent)
    assert sent["b"] == 5 and 10 <= sent["a"] <= 25


@pytest.mark.django_db
def test_a_backfill_turn_sends_the_connections_live_rows_first(sender):
    connection = _connection("mixed")
    backfill = Backfill.objects.create(connection=connection, status=Backfill.Status.RUNNING, planned=5)
    _rows(connection, "backfill", 5, lane=Delivery.Lane.BACKFILL, backfill=backfill)
    _rows(connection, "live", 2)  # Written after the backfill rows, yet sent before them.
    assert backfills.backfills_schedule() == 7
    assert sender.sent[:2] == ["live:0", "live:1"]
    assert Backfill.objects.get(pk=backfill.pk).succeeded == 5
    backfills.backfill_pump(backfill_id=backfill.pk)
    assert Backfill.objects.get(pk=backfill.pk).status == Backfill.Status.DONE


@pytest.mark.django_db
def test_a_live_turn_leaves_backfill_rows_to_the_backfill_lane(sender):
    connection = _connection("mixed")
    backfill = Backfill.objects.create(connection=connection, status=Backfill.Status.RUNNING, planned=3)
    _rows(connection, "backfill", 3, lane=Delivery.Lane.BACKFILL, backfill=backfill)
    _rows(connection, "live", 1)
    assert pump.deliveries_schedule() == 1 and sender.sent == ["live:0"]


@ONE_STATEMENT_CLAIMS
@pytest.mark.django_db(transaction=True)
def test_concurrent_turns_never_send_a_row_twice(sender, settings):
    settings.DELIVERY_SENDS_IN_FLIGHT = 3  # Committed rows: sender threads can see them, so use them here too.
    big, other = _connection("big"), _connection("other")
    _rows(big, "big", 400)
    _rows(other, "other", 100)
    lock, start = threading.Lock(), threading.Barrier(3)

    def turn():
        start.wait()
        try:
            pump.schedule_turn(lane=Delivery.Lane.LIVE, seconds=20)
        finally:
            db.close()

    original = outbox.ScriptedSender.__call__

    def locked(self, connection, delivery):  # The scripted sender's list is shared by the threads.
        with lock:
            return original(self, connection, delivery)

    outbox.ScriptedSender.__call__ = locked
    try:
        threads = [threading.Thread(target=turn) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        outbox.ScriptedSender.__call__ = original
    assert len(sender.sent) == 500 and len(set(sender.sent)) == 500
    assert Delivery.objects.filter(status=Delivery.Status.SUCCEEDED, attempts=1).count() == 500
    assert DeliveryAttempt.objects.count() == 500


@ONE_STATEMENT_CLAIMS
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_take_disjoint_rows(sender):
    connection = _connection("big")
    _rows(connection, "big", 300)
    claimed, start = [], threading.Barrier(4)

    def claimer():
        start.wait()
        try:
            while batch := pump.claim_batch(connection=connection, lane=Delivery.Lane.LIVE, limit=7):
                claimed.extend(d.pk for d in batch)
        finally:
            db.close()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 300 and len(set(claimed)) == 300
    assert Delivery.objects.filter(status=Delivery.Status.SENDING, attempts=1).count() == 300


def test_a_process_with_sender_threads_hands_the_gil_to_the_turns_loop_within_a_millisecond():
    """The loop hands every row to a sender; at Python's default 5 ms it waited behind threads parsing responses
    and paced slots started late (embedded fairness 92.4 % -> 95.3 % of the budget with 1 ms)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        pump.send_pool(size=7)  # A size no other test uses, so this process makes the pool here.
        assert sys.getswitchinterval() == pytest.approx(pump.GIL_SWITCH_SECONDS)
    finally:
        sys.setswitchinterval(before)
