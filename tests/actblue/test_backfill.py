"""The backfill planner: live keys, both resend modes, the email-subscription flag, date ranges, chunked cursor."""

import pytest
from django.utils import timezone

from actblue.services.backfill import plan_backfill_chunk
from actblue.services.ledger import RECORDERS
from integrations.models import Backfill, Connection, Delivery
from integrations.services import backfills
from tests.actblue import payloads
from tests.actblue.payloads import parsed

pytestmark = pytest.mark.django_db


def record(world, body, kind="contribution"):
    RECORDERS[kind](entity=world.cast.entity_a, data=parsed(body))


@pytest.fixture
def history(world):
    """Three past contributions (one refunded), a cancelled recurring series of three charges, all delivered."""
    for n in range(3):
        record(world, payloads.contribution(lineitem_id=100 + n, order=f"AB10{n}"))
    record(world, payloads.refund(lineitem_id=100, order="AB100"), "refund")
    for seq in range(3):
        body = payloads.contribution(lineitem_id=200 + seq * 10, order="AB200", recurring=True, sequence=seq)
        body["lineitems"][0]["paidAt"] = f"2024-0{seq + 1}-15T12:00:00-05:00"
        record(world, body)
    record(world, payloads.cancellation(lineitem_id=220, order="AB200", sequence=2), "cancellation")
    Delivery.objects.update(status=Delivery.Status.SUCCEEDED, delivered_at=timezone.now())
    return world


def plan(connection, params, monkeypatch, chunk=2) -> Backfill:
    """Plan only: the pump that planning queues is recorded, not run, so the planned rows can be inspected."""
    monkeypatch.setattr(backfills, "PLAN_CHUNK", chunk)
    monkeypatch.setattr(backfills, "_queue", lambda task, backfill_id, countdown=None: None)
    backfill = Backfill.objects.create(connection=connection, params=params)
    backfills.backfill_plan(backfill_id=backfill.pk)
    backfill.refresh_from_db()
    return backfill


def test_new_only_plans_what_was_never_sent(history, monkeypatch):
    Delivery.objects.filter(key="actblue:contribution:101").delete()  # As if it arrived before the connection.
    Delivery.objects.filter(key="actblue:contribution:102").update(status=Delivery.Status.DEAD, delivered_at=None)
    backfill = plan(history.connection_a, {"mode": "new", "email_subscription": False}, monkeypatch)
    rows = Delivery.objects.filter(backfill=backfill)
    assert sorted(rows.values_list("key", flat=True)) == ["actblue:contribution:101", "actblue:contribution:102"]
    assert backfill.planned == 2 and backfill.status == Backfill.Status.RUNNING
    assert all(r.lane == "backfill" and r.options == {"backfill_flag": True} for r in rows)


def test_resend_all_reopens_sent_rows_once_each(history, monkeypatch):
    backfill = plan(history.connection_a, {"mode": "all", "email_subscription": True}, monkeypatch)
    rows = Delivery.objects.filter(backfill=backfill)
    assert backfill.planned == rows.count() == Delivery.objects.count() == 8  # 6 charges, 1 refund, 1 cancellation.
    assert set(rows.values_list("status", "lane")) == {("pending", "backfill")}
    assert {tuple(r.options.items()) for r in rows} == {(("backfill_flag", False),)}
    refund = rows.get(key="actblue:refund:100")
    assert refund.depends_on.key == "actblue:contribution:100"


def test_a_date_range_limits_line_items_by_paid_day(history, monkeypatch):
    backfill = plan(history.connection_a, {"mode": "all", "date_from": "2024-02-01", "date_to": "2024-03-15"}, monkeypatch)
    keys = sorted(Delivery.objects.filter(backfill=backfill).values_list("key", flat=True))
    assert keys[:2] == ["actblue:cancellation:AB200:2023-06-20T15:02:47+00:00", "actblue:contribution:210"]
    assert keys[2:] == ["actblue:contribution:220"]


def test_the_cursor_walks_in_chunks_and_finishes(history):
    backfill = Backfill.objects.create(connection=history.connection_a, params={"mode": "all"})
    cursor, chunks = 0, 0
    while True:
        chunk = plan_backfill_chunk(backfill, cursor, 2)
        cursor, chunks = chunk.last_source_id, chunks + 1
        if chunk.done:
            break
    assert chunks == 4 and Delivery.objects.filter(backfill=backfill).count() == 8


def test_managed_forms_decide_the_backfill_scope(world, monkeypatch):
    conn = world.connection_a
    record(world, payloads.contribution(lineitem_id=300, order="AB300", recipients=(payloads.ENTITY_B_ID,), form="p"))
    assert plan(conn, {"mode": "all"}, monkeypatch).planned == 0
    Connection.objects.filter(pk=conn.pk).update(config={**conn.config, "notify_managed": True})
    conn.refresh_from_db()
    assert plan(conn, {"mode": "all"}, monkeypatch).planned == 1


def test_the_pump_sends_with_the_backfill_flag(history, fake_ak, monkeypatch):
    backfill = plan(history.connection_a, {"mode": "all", "email_subscription": False}, monkeypatch)
    backfills.backfill_pump(backfill_id=backfill.pk)
    backfill.refresh_from_db()
    assert (backfill.status, backfill.succeeded) == (Backfill.Status.DONE, 8)
    assert len(fake_ak.calls) == 8 and all(c["backfill"] for c in fake_ak.calls)
    kinds = fake_ak.kinds_sent()
    assert kinds.index("refund") > kinds.index("contribution")
