"""End to end: the API/services record events, a REAL Celery worker sends them to the running ActionKit sandbox.

Each test resets the sandbox and checks what ActionKit recorded: orders (one per line item, import_id ab-<id>),
their status, recurring profiles, and the webhook request log (duplicates, backfill flags).
"""

import time

import pytest

from actblue.kind import CONFIG_NOTIFY_MANAGED
from actblue.models import LineItem
from actblue.services.connecting import actionkit_connect, actionkit_disconnect, managed_forms_set
from actblue.services.ledger import RECORDERS
from actblue.services.profile import actblue_identity_set
from integrations.models import Backfill, Connection, Delivery
from integrations.services.backfills import backfill_start
from integrations.services.deliveries import deliveries_sweep
from tests.actblue import payloads
from tests.actblue.payloads import ENTITY_A_ID, ENTITY_B_ID, parsed
from tests.plugins.worker import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def e2e(cast, ak_sandbox, celery_worker):
    ak_sandbox.reset()
    actblue_identity_set(entity=cast.entity_a, entity_ids=[ENTITY_A_ID])
    actblue_identity_set(entity=cast.entity_b, entity_ids=[ENTITY_B_ID])
    return cast


def connect_a(cast, ak_sandbox, *, notify_managed=False, password=None) -> Connection:
    return actionkit_connect(entity=cast.entity_a, username=ak_sandbox.username, password=password or ak_sandbox.password,
                             host=ak_sandbox.host, account="Entity A", notify_managed=notify_managed, actor=cast.alice)


def record(cast, body, kind="contribution"):
    return RECORDERS[kind](entity=cast.entity_a, data=parsed(body))


def orders(ak_sandbox, account="Entity A") -> dict[str, str]:
    return {o["import_id"]: o["status"] for o in ak_sandbox.orders() if o["account"] == account}


def all_delivered(connection, expected: int):
    rows = Delivery.objects.filter(connection=connection)
    return rows.count() == expected and not rows.exclude(status=Delivery.Status.SUCCEEDED).exists()


def test_contribution_refund_and_cancellation_reach_actionkit(e2e, ak_sandbox, celery_worker):
    celery_worker(queues="live,housekeeping")
    connection = connect_a(e2e, ak_sandbox)
    record(e2e, payloads.contribution(lineitem_id=11, order="AB11", recurring=True))
    record(e2e, payloads.refund(lineitem_id=11, order="AB11", recurring=True), "refund")
    record(e2e, payloads.cancellation(lineitem_id=11, order="AB11"), "cancellation")
    wait_until(lambda: all_delivered(connection, 3), timeout=60, message="three deliveries")
    assert orders(ak_sandbox) == {"ab-11": "reversed"}
    recurring = [r for r in ak_sandbox.recurring() if r["account"] == "Entity A"]
    assert [(r["recurring_id"], r["status"]) for r in recurring] == [("AB11", "canceled_by_admin")]
    assert ak_sandbox.stats()["duplicates_prevented"] == 0


def test_managed_forms_on_and_off(e2e, ak_sandbox, celery_worker):
    celery_worker(queues="live,housekeeping")
    connection = connect_a(e2e, ak_sandbox)
    record(e2e, payloads.contribution(lineitem_id=21, order="AB21", recipients=(ENTITY_A_ID, ENTITY_B_ID), form="tandem"))
    record(e2e, payloads.contribution(lineitem_id=31, order="AB31", recipients=(ENTITY_B_ID,), form="managed"))
    wait_until(lambda: all_delivered(connection, 1), timeout=60, message="own line item")
    assert orders(ak_sandbox) == {"ab-21": "completed"}  # The partner's line items are not ours to book.
    managed_forms_set(connection=connection, send=True, actor=e2e.alice)
    record(e2e, payloads.contribution(lineitem_id=41, order="AB41", recipients=(ENTITY_A_ID, ENTITY_B_ID), form="tandem"))
    record(e2e, payloads.contribution(lineitem_id=51, order="AB51", recipients=(ENTITY_B_ID,), form="managed"))
    wait_until(lambda: all_delivered(connection, 4), timeout=60, message="managed line items")
    assert set(orders(ak_sandbox)) == {"ab-21", "ab-41", "ab-42", "ab-51"}


def test_disconnect_and_reconnect_lose_nothing_and_send_nothing_twice(e2e, ak_sandbox, celery_worker):
    celery_worker(queues="live,housekeeping")
    connection = connect_a(e2e, ak_sandbox)
    record(e2e, payloads.contribution(lineitem_id=61, order="AB61"))
    wait_until(lambda: all_delivered(connection, 1), timeout=60, message="first delivery")
    actionkit_disconnect(connection=connection, actor=e2e.alice)
    for n in range(3):
        record(e2e, payloads.contribution(lineitem_id=70 + n, order=f"AB7{n}"))
    deliveries_sweep()
    time.sleep(3)  # Give a wrongly sending worker time to show itself.
    assert set(orders(ak_sandbox)) == {"ab-61"}
    connect_a(e2e, ak_sandbox)
    wait_until(lambda: all_delivered(connection, 4), timeout=60, message="queued rows after reconnect")
    assert set(orders(ak_sandbox)) == {"ab-61", "ab-70", "ab-71", "ab-72"}
    assert ak_sandbox.stats()["duplicates_prevented"] == 0


def test_refused_credentials_halt_until_fixed(e2e, ak_sandbox, celery_worker):
    celery_worker(queues="live,housekeeping")
    connection = connect_a(e2e, ak_sandbox)
    ak_sandbox.inject("401", count=1)
    record(e2e, payloads.contribution(lineitem_id=81, order="AB81"))
    wait_until(lambda: Connection.objects.get(pk=connection.pk).halted, timeout=60, message="halt on 401")
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ERROR and "Reconnect" in connection.status_reason
    record(e2e, payloads.contribution(lineitem_id=82, order="AB82"))
    deliveries_sweep()
    time.sleep(2)
    assert orders(ak_sandbox) == {} and Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 2
    connect_a(e2e, ak_sandbox)  # The admin re-enters working credentials.
    wait_until(lambda: all_delivered(connection, 2), timeout=60, message="deliveries after fixing credentials")
    assert set(orders(ak_sandbox)) == {"ab-81", "ab-82"}
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.CONNECTED


def test_500s_and_timeouts_recover_without_loss_or_duplicates(e2e, ak_sandbox, celery_worker):
    celery_worker(queues="live,housekeeping")
    connection = connect_a(e2e, ak_sandbox)
    ak_sandbox.inject("500", count=3)
    ak_sandbox.inject("slow", count=2, delay=3)  # Longer than the worker's 2 s read timeout.
    for n in range(6):
        record(e2e, payloads.contribution(lineitem_id=90 + n, order=f"AB9{n}"))

    def settled():
        deliveries_sweep()
        return all_delivered(connection, 6)

    wait_until(settled, timeout=90, interval=1, message="all six delivered after faults")
    assert orders(ak_sandbox) == {f"ab-{90 + n}": "completed" for n in range(6)}
    assert Delivery.objects.filter(attempts__gt=1).exists()  # The faults really hit.


def test_a_worker_killed_mid_delivery_is_recovered_by_the_sweeper(e2e, ak_sandbox, celery_worker):
    worker = celery_worker(queues="live,housekeeping", env={"ACTIONKIT_READ_TIMEOUT": "20"})
    connection = connect_a(e2e, ak_sandbox)
    ak_sandbox.inject("slow", count=1, delay=6)
    record(e2e, payloads.contribution(lineitem_id=101, order="AB101"))
    wait_until(lambda: Delivery.objects.filter(status=Delivery.Status.SENDING).exists(), timeout=30,
               message="the delivery in flight")
    worker.kill()
    worker.start()

    def recovered():
        deliveries_sweep()
        return all_delivered(connection, 1)

    wait_until(recovered, timeout=90, interval=1, message="the sweeper re-sending the killed delivery")
    assert orders(ak_sandbox) == {"ab-101": "completed"}  # One order, even if the slow request also landed.
    assert ak_sandbox.stats()["orders"] == 1


@pytest.mark.parametrize("subscribe", [False, True], ids=["without-email-subscription", "with-email-subscription"])
def test_backfill_in_both_modes(e2e, ak_sandbox, celery_worker, subscribe):
    celery_worker(queues="live,housekeeping,backfills")
    for n in range(4):  # History from before the connection existed: no deliveries yet.
        record(e2e, payloads.contribution(lineitem_id=200 + n, order=f"AB20{n}", email=f"donor{n}@example.com"))
    connection = connect_a(e2e, ak_sandbox)
    assert not Delivery.objects.exists()
    first = backfill_start(connection=connection, params={"mode": "new", "email_subscription": subscribe}, actor=e2e.alice)
    wait_until(lambda: Backfill.objects.get(pk=first.pk).status == Backfill.Status.DONE, timeout=90,
               message="the first backfill")
    assert Backfill.objects.get(pk=first.pk).succeeded == 4 and len(orders(ak_sandbox)) == 4
    statuses = {u["email"]: u.get("subscription_status") for u in ak_sandbox.users()}
    expected = "subscribed" if subscribe else "never"
    assert all(statuses[f"donor{n}@example.com"] == expected for n in range(4)), statuses
    again = backfill_start(connection=connection, params={"mode": "new"}, actor=e2e.alice)
    wait_until(lambda: Backfill.objects.get(pk=again.pk).status == Backfill.Status.DONE, timeout=60, message="no-op")
    assert Backfill.objects.get(pk=again.pk).planned == 0  # Only data not yet sent: nothing left.
    resend = backfill_start(connection=connection, params={"mode": "all", "email_subscription": subscribe},
                            actor=e2e.alice)
    wait_until(lambda: Backfill.objects.get(pk=resend.pk).status == Backfill.Status.DONE, timeout=90,
               message="the resend-all backfill")
    assert Backfill.objects.get(pk=resend.pk).succeeded == 4
    stats = ak_sandbox.stats()
    assert stats["orders"] == 4 and stats["duplicates_prevented"] == 4  # Resent, and ActionKit kept one order each.
    assert LineItem.objects.count() == 4 and not Connection.objects.get(pk=connection.pk).config.get(CONFIG_NOTIFY_MANAGED)


def test_actblue_webhooks_with_basic_auth_reach_actionkit(e2e, ak_sandbox, celery_worker, live_server):
    """ActBlue's side as its dashboard sets it up: our URL, username and password, over real HTTP."""
    import requests

    from actblue.services.profile import webhook_credentials_create

    celery_worker(queues="live,housekeeping")
    connection = connect_a(e2e, ak_sandbox)
    profile, password = webhook_credentials_create(entity=e2e.entity_a, actor=e2e.alice)
    url = f"{live_server.url}/hooks/actblue/{profile.webhook_token}/"
    with requests.Session() as actblue:
        refused = actblue.post(url, json=payloads.contribution(lineitem_id=111, order="AB111"),
                               auth=(profile.webhook_username, "not-the-password"), timeout=10)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
        actblue.auth = (profile.webhook_username, password)
        bodies = [payloads.contribution(lineitem_id=111, order="AB111", recurring=True),
                  payloads.contribution(lineitem_id=111, order="AB111", recurring=True),  # ActBlue resends.
                  payloads.refund(lineitem_id=111, order="AB111", recurring=True),
                  payloads.cancellation(lineitem_id=111, order="AB111")]
        assert [actblue.post(url, json=body, timeout=10).status_code for body in bodies] == [201, 200, 201, 201]
    wait_until(lambda: all_delivered(connection, 3), timeout=60, message="three notifications from the webhook")
    assert orders(ak_sandbox) == {"ab-111": "reversed"}
    recurring = [r for r in ak_sandbox.recurring() if r["account"] == "Entity A"]
    assert [(r["recurring_id"], r["status"]) for r in recurring] == [("AB111", "canceled_by_admin")]
    assert ak_sandbox.stats()["duplicates_prevented"] == 0
