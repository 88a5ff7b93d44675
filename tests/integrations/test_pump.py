"""The connection pump: a successful live task drains the connection's other due rows, within the outbox rules."""

from datetime import timedelta

from django.utils import timezone

from integrations.models import Connection, Delivery, DeliveryAttempt
from integrations.registry import Outcome
from integrations.services import connections, deliveries, pump
from tests.integrations import test_deliveries as outbox

_enqueue = outbox._enqueue
conn, sender = outbox.conn, outbox.sender  # The outbox tests' fixtures: a scripted kind and its connection.


def _statuses(*rows):
    return [Delivery.objects.get(pk=row.pk).status for row in rows]


def test_one_task_delivers_the_backlog_in_batches(conn, sender, monkeypatch):
    monkeypatch.setattr(pump, "PUMP_BATCH", 2)
    rows = [_enqueue(conn, f"item:{n}") for n in range(5)]
    assert deliveries.delivery_send(delivery_id=rows[0].pk) == Outcome.SUCCESS
    assert sender.sent == [f"item:{n}" for n in range(5)]
    assert set(_statuses(*rows)) == {Delivery.Status.SUCCEEDED}
    assert DeliveryAttempt.objects.filter(outcome=Outcome.SUCCESS).count() == 5
    assert all(d.remote_ref == "ok" and d.attempts == 1 and d.claimed_at is None for d in Delivery.objects.all())
    assert deliveries.delivery_send(delivery_id=rows[1].pk) is None  # Its own task finds it finished.
    assert len(sender.sent) == 5


def test_the_pump_leaves_waiting_failed_and_future_rows_to_their_own_tasks(conn, sender):
    first = _enqueue(conn, "contribution:1")
    refund = _enqueue(conn, "refund:1", depends_on=first)
    later = _enqueue(conn, "item:later")
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    failed = _enqueue(conn, "item:failed")
    Delivery.objects.filter(pk=failed.pk).update(status=Delivery.Status.FAILED)
    deliveries.delivery_send(delivery_id=first.pk)
    assert sender.sent == ["contribution:1"]
    assert _statuses(refund, later, failed) == [Delivery.Status.PENDING, Delivery.Status.PENDING, Delivery.Status.FAILED]


def test_a_halt_mid_batch_stops_and_hands_the_rest_back_untried(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(4)]
    sender.script = [Outcome(Outcome.SUCCESS, 200, remote_ref="ok"), Outcome(Outcome.SUCCESS, 200, remote_ref="ok"),
                     Outcome(Outcome.HALT, 401, "ActionKit rejected the username or password (HTTP 401).")]
    deliveries.delivery_send(delivery_id=rows[0].pk)
    assert sender.sent == ["item:0", "item:1", "item:2"]
    assert _statuses(*rows) == [Delivery.Status.SUCCEEDED, Delivery.Status.SUCCEEDED, Delivery.Status.PENDING,
                                Delivery.Status.PENDING]
    untried = Delivery.objects.get(pk=rows[3].pk)
    assert untried.attempts == 0 and untried.claimed_at is None and untried.enqueued_at is None
    conn.refresh_from_db()
    assert conn.halted


def test_a_retryable_failure_stops_the_pump_and_counts_only_that_try(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(3)]
    sender.script = [Outcome(Outcome.SUCCESS, 200, remote_ref="ok"), Outcome(Outcome.RETRYABLE, 503, "busy")]
    deliveries.delivery_send(delivery_id=rows[0].pk)
    assert _statuses(*rows) == [Delivery.Status.SUCCEEDED, Delivery.Status.FAILED, Delivery.Status.PENDING]
    assert [Delivery.objects.get(pk=r.pk).attempts for r in rows] == [1, 1, 0]


def test_nothing_is_pumped_for_a_disconnected_or_paused_connection(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(3)]
    conn.entity.paused = True
    conn.entity.save()
    assert pump.connection_pump(connection_id=conn.pk) == 0
    conn.entity.paused = False
    conn.entity.save()
    connections.connection_disconnect(connection=conn, actor=None)
    assert pump.connection_pump(connection_id=conn.pk) == 0
    assert sender.sent == [] and set(_statuses(*rows)) == {Delivery.Status.PENDING}
    assert Connection.objects.get(pk=conn.pk).status == Connection.Status.DISCONNECTED


def test_a_task_whose_row_is_already_sent_pumps_the_rest_of_the_backlog(conn, sender):
    rows = [_enqueue(conn, f"item:{n}") for n in range(3)]
    Delivery.objects.filter(pk=rows[0].pk).update(status=Delivery.Status.SUCCEEDED)
    assert deliveries.delivery_send(delivery_id=rows[0].pk) is None
    assert sender.sent == ["item:1", "item:2"]
    Connection.objects.filter(pk=conn.pk).update(halted=True)
    later = _enqueue(conn, "item:3")
    assert deliveries.delivery_send(delivery_id=rows[1].pk) is None  # Halted: nothing goes out.
    assert sender.sent == ["item:1", "item:2"] and _statuses(later) == [Delivery.Status.PENDING]
