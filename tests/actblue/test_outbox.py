"""Outbox rules: who receives what, idempotency, ordering, and the send → Outcome mapping (FakeActionKitClient)."""

import pytest
from django.utils.dateparse import parse_datetime

from actblue.models import Cancellation, Contribution, LineItem, Refund
from actblue.services import ledger
from actblue.services.connecting import managed_forms_set
from actionkit import errors
from integrations.models import Connection, Delivery
from integrations.services.connections import connection_disconnect
from tests.actblue import payloads
from tests.actblue.payloads import ENTITY_A_ID, ENTITY_B_ID, parsed

pytestmark = pytest.mark.django_db


def record(entity, body, kind="contribution"):
    return ledger.RECORDERS[kind](entity=entity, data=parsed(body))


def keys(connection) -> list[str]:
    return sorted(Delivery.objects.filter(connection=connection).values_list("key", flat=True))


def test_it_sends_a_contribution_once_even_when_notified_twice(world, fake_ak, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(world.cast.entity_a, payloads.contribution())
        record(world.cast.entity_a, payloads.contribution())
    assert LineItem.objects.count() == 1 and Contribution.objects.count() == 1
    delivery = Delivery.objects.get()
    assert (delivery.key, delivery.status) == ("actblue:contribution:123456789", Delivery.Status.SUCCEEDED)
    assert len(fake_ak.calls) == 1
    assert fake_ak.calls[0]["account"] == "Default ActBlue" and fake_ak.calls[0]["backfill"] is False


def test_it_keeps_other_recipients_line_items_out_unless_managed_forms_is_on(world, fake_ak):
    conn_b = world.connect_b()
    record(world.cast.entity_a, payloads.contribution(recipients=(ENTITY_A_ID, ENTITY_B_ID), form="tandem"))
    assert keys(world.connection_a) == ["actblue:contribution:123456789"]
    assert keys(conn_b) == []  # B's share is in A's ledger only: A's body never reaches B's ActionKit.
    managed_forms_set(connection=world.connection_a, send=True, actor=None)
    record(world.cast.entity_a, payloads.contribution(lineitem_id=555, order="AB555", recipients=(ENTITY_A_ID, ENTITY_B_ID),
                                                      form="tandem"))
    assert keys(world.connection_a) == ["actblue:contribution:123456789", "actblue:contribution:555",
                                        "actblue:contribution:556"]
    assert keys(conn_b) == []


def test_it_sends_managed_form_line_items_only_to_the_manager_that_asked(world, fake_ak):
    managed_forms_set(connection=world.connection_a, send=True, actor=None)
    record(world.cast.entity_a, payloads.contribution(recipients=(ENTITY_B_ID,), form="for-partner"))
    item = LineItem.objects.get()
    assert (item.entity, item.recipient_actblue_id, item.form.entity, item.form.managed) == (
        world.cast.entity_a, ENTITY_B_ID, world.cast.entity_a, True)
    assert keys(world.connection_a) == ["actblue:contribution:123456789"]


def test_it_orders_refunds_and_cancellations_after_their_contribution(world, fake_ak):
    Connection.objects.filter(pk=world.connection_a.pk).update(halted=True)  # Hold sending to inspect the rows.
    record(world.cast.entity_a, payloads.contribution(recurring=True))
    record(world.cast.entity_a, payloads.refund(recurring=True), "refund")
    record(world.cast.entity_a, payloads.cancellation(), "cancellation")
    contribution = Delivery.objects.get(key="actblue:contribution:123456789")
    refund = Delivery.objects.get(key="actblue:refund:123456789")
    cancellation = Delivery.objects.get(key__startswith="actblue:cancellation:AB123456789:")
    assert refund.depends_on == contribution and cancellation.depends_on == contribution
    assert cancellation.key == "actblue:cancellation:AB123456789:2023-06-20T15:02:47+00:00"
    assert Refund.objects.count() == 1 and Cancellation.objects.count() == 1


def test_it_records_an_unknown_line_item_from_a_refund_body(world, fake_ak, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(world.cast.entity_a, payloads.refund(), "refund")
    assert [call["notification"]["lineitems"][0].get("refundedAt") is not None for call in fake_ak.calls] == [False, True]
    assert fake_ak.orders[("Default ActBlue", 123456789)]["status"] == "reversed"


def test_it_queues_for_a_disconnected_connection_and_sends_after_reconnect(world, fake_ak, django_capture_on_commit_callbacks):
    connection_disconnect(connection=world.connection_a, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        record(world.cast.entity_a, payloads.contribution())
    assert fake_ak.calls == [] and Delivery.objects.get().status == Delivery.Status.PENDING


def test_the_same_order_from_another_tenant_is_that_tenants_own_record(world, fake_ak):
    conn_b = world.connect_b()
    record(world.cast.entity_a, payloads.contribution())
    result = record(world.cast.entity_b, payloads.contribution(recipients=(ENTITY_A_ID,), email="forged@example.org"))
    assert result.created and result.contribution.entity == world.cast.entity_b
    a_row = Contribution.objects.get(entity=world.cast.entity_a)
    assert a_row.donor_email == "mary@example.com"  # B's body changed nothing of A's.
    assert keys(world.connection_a) == ["actblue:contribution:123456789"]
    assert keys(conn_b) == []  # The entityId B named is A's, not B's: nothing is routed anywhere for it.


def test_it_refuses_a_replayed_line_item_whose_amount_changed(world, fake_ak):
    record(world.cast.entity_a, payloads.contribution())
    changed = payloads.contribution()
    changed["lineitems"][0]["amount"] = "99.00"
    with pytest.raises(ledger.LedgerConflict, match="already recorded as 25.00"):
        record(world.cast.entity_a, changed)
    assert LineItem.objects.get().amount == 25


OUTCOME_CASES = [
    (errors.ActionKitTimeout(), Delivery.Status.FAILED, False),
    (errors.ActionKitTransient("HTTP 500", status_code=500), Delivery.Status.FAILED, False),
    (errors.ActionKitRateLimited(retry_after=3, status_code=429), Delivery.Status.FAILED, False),
    (errors.ActionKitValidationError("bad", field_errors={"email": ["Enter a valid email."]}, status_code=400),
     Delivery.Status.DEAD, False),
    (errors.ActionKitNotFound(status_code=404), Delivery.Status.DEAD, False),
    (errors.ActionKitRedirect(status_code=302), Delivery.Status.DEAD, False),
    (errors.ActionKitUnauthorized(status_code=401), Delivery.Status.PENDING, True),
    (errors.UnsafeHostError(), Delivery.Status.PENDING, True),
]


@pytest.mark.parametrize("error, status, halted", OUTCOME_CASES, ids=[type(c[0]).__name__ for c in OUTCOME_CASES])
def test_it_sorts_client_errors_into_outcomes(world, fake_ak, django_capture_on_commit_callbacks, error, status, halted):
    fake_ak.fail_next_with = [error]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record(world.cast.entity_a, payloads.contribution())
    callbacks[0]()  # Only the first send: the retry it schedules is not run here.
    delivery = Delivery.objects.get()
    world.connection_a.refresh_from_db()
    assert (delivery.status, world.connection_a.halted) == (status, halted)
    attempt = delivery.attempt_set.get()
    if isinstance(error, errors.ActionKitValidationError):
        assert "email: Enter a valid email." in attempt.detail
    if halted:
        assert world.connection_a.status == Connection.Status.ERROR and world.connection_a.status_reason


def test_it_passes_the_backfill_flag_from_options(world, fake_ak):
    from integrations.services.deliveries import delivery_send_one

    record(world.cast.entity_a, payloads.contribution())
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PENDING, options={"backfill_flag": True})
    delivery_send_one(delivery_id=delivery.pk)
    assert fake_ak.calls[-1]["backfill"] is True


def test_it_stores_times_in_utc(world, fake_ak):
    record(world.cast.entity_a, payloads.contribution())
    item = LineItem.objects.get()
    assert item.paid_at == parse_datetime("2023-06-07T19:49:33+00:00")


def test_it_learns_the_posting_entitys_own_actblue_id(cast, fake_ak):
    from actblue.models import ActBlueProfile
    from tests.actblue.conftest import connect

    connection = connect(cast.entity_a)
    record(cast.entity_a, payloads.contribution(recipients=(7777,)))
    assert ActBlueProfile.objects.get(entity=cast.entity_a).entity_ids == [7777]
    assert keys(connection) == ["actblue:contribution:123456789"]


def test_it_does_not_guess_among_several_unknown_recipients(cast, fake_ak):
    from actblue.models import ActBlueProfile

    record(cast.entity_a, payloads.contribution(recipients=(7777, 8888)))
    assert ActBlueProfile.objects.get(entity=cast.entity_a).entity_ids == []
