"""The kind's prepare_batch: a batch's notifications in a fixed number of queries, each the body the row's own
send would build, and a row whose ledger record is gone still sorted as before (FakeActionKitClient)."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from actblue.models import LineItem
from actblue.sender import notification_for, notifications_for
from actblue.services import ledger
from integrations.models import Connection, Delivery, DeliveryAttempt
from integrations.registry import Outcome
from integrations.services import pump
from tests.actblue import payloads
from tests.actblue.payloads import parsed

pytestmark = pytest.mark.django_db

GONE = "The ledger record behind this notification no longer exists."


def _held(world):
    Connection.objects.filter(pk=world.connection_a.pk).update(halted=True)  # Rows wait, as claimed rows would.


def _record(world, body, kind="contribution"):
    ledger.RECORDERS[kind](entity=world.cast.entity_a, data=parsed(body))


def _claimed_like(connection) -> list[Delivery]:
    """The connection's rows as a claim hands them over: in id order, the connection attached."""
    rows = list(Delivery.objects.filter(connection=connection).order_by("id"))
    for row in rows:
        row.connection = connection
    return rows


def test_it_prepares_a_batch_of_contributions_in_one_query(world, fake_ak):
    _held(world)
    for n in range(5):
        _record(world, payloads.contribution(lineitem_id=900 + n, order=f"AB{900 + n}"))
    rows = _claimed_like(world.connection_a)
    with CaptureQueriesContext(db) as queries:
        bodies = notifications_for(rows)
    assert len(queries.captured_queries) == 1
    assert bodies == {row.id: notification_for(row) for row in rows}  # Each the body its own send would build.
    assert sorted(body["lineitems"][0]["lineitemId"] for body in bodies.values()) == [900, 901, 902, 903, 904]


def test_a_batch_of_every_event_type_costs_three_queries_however_long(world, fake_ak, django_assert_max_num_queries):
    _held(world)
    for n in range(3):
        _record(world, payloads.contribution(lineitem_id=700 + n, order=f"AB{700 + n}", recurring=True))
        _record(world, payloads.refund(lineitem_id=700 + n, order=f"AB{700 + n}", recurring=True), "refund")
        _record(world, payloads.cancellation(lineitem_id=700 + n, order=f"AB{700 + n}"), "cancellation")
    rows = _claimed_like(world.connection_a)
    assert sorted({row.event_type for row in rows}) == ["cancellation", "contribution", "refund"] and len(rows) == 9
    with django_assert_max_num_queries(3):
        bodies = notifications_for(rows)
    assert bodies == {row.id: notification_for(row) for row in rows}
    refunds = [bodies[row.id] for row in rows if row.event_type == "refund"]
    cancellations = [bodies[row.id] for row in rows if row.event_type == "cancellation"]
    assert all(body["lineitems"][0]["refundedAt"] for body in refunds)
    assert all(body["contribution"]["cancelledAt"] for body in cancellations)


def test_a_row_whose_line_item_is_gone_is_left_out_of_the_batch(world, fake_ak):
    _held(world)
    _record(world, payloads.contribution(lineitem_id=801, order="AB801"))
    _record(world, payloads.contribution(lineitem_id=802, order="AB802"))
    LineItem.objects.filter(lineitem_id=801).delete()
    rows = _claimed_like(world.connection_a)
    assert list(notifications_for(rows)) == [rows[1].id]
    assert notification_for(rows[0]) is None


def test_a_row_whose_line_item_is_gone_dies_with_the_same_reason_and_the_rest_go_out(world, fake_ak):
    _held(world)
    for n in range(3):
        _record(world, payloads.contribution(lineitem_id=811 + n, order=f"AB{811 + n}"))
    LineItem.objects.filter(lineitem_id=812).delete()
    Connection.objects.filter(pk=world.connection_a.pk).update(halted=False)
    assert pump.connection_pump(connection_id=world.connection_a.pk) == 2
    rows = {row.key: row for row in Delivery.objects.all()}
    gone = rows.pop("actblue:contribution:812")
    assert (gone.status, gone.last_error, gone.attempts) == (Delivery.Status.DEAD, GONE, 1)
    assert DeliveryAttempt.objects.get(delivery=gone).outcome == Outcome.PERMANENT
    assert {row.status for row in rows.values()} == {Delivery.Status.SUCCEEDED}
    assert [call["notification"]["lineitems"][0]["lineitemId"] for call in fake_ak.calls] == [811, 813]
