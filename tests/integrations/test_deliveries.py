"""The outbox rules, with a test-only kind whose sender replays scripted outcomes."""

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import registry
from integrations.models import Backfill, Connection, Delivery, DeliveryAttempt, Entity
from integrations.registry import BackfillChunk, Kind, Outcome
from integrations.services import backfills, connections, deliveries, outcomes


class ScriptedSender:
    def __init__(self):
        self.script: list[Outcome] = []
        self.sent: list[str] = []

    def __call__(self, connection, delivery):
        self.sent.append(delivery.key)
        return self.script.pop(0) if self.script else Outcome(Outcome.SUCCESS, status_code=200, remote_ref="ok")


@pytest.fixture
def sender(monkeypatch):
    sender = ScriptedSender()

    def plan(backfill, after_id, limit):
        count = 0
        for source_id in range(after_id + 1, min(after_id + limit, 5) + 1):
            deliveries.delivery_enqueue  # noqa: B018 - planners reuse live keys; here we write rows directly.
            Delivery.objects.get_or_create(connection=backfill.connection, key=f"item:{source_id}", defaults={
                "event_type": "item", "lane": Delivery.Lane.BACKFILL, "backfill": backfill, "source_id": source_id})
            count += 1
        last = min(after_id + limit, 5)
        return BackfillChunk(planned=count, last_source_id=last, done=last >= 5)

    monkeypatch.setitem(registry._KINDS, "scripted", Kind(slug="scripted", title="Scripted", description="",
                                                          connect_url="home", detail_url="home", send=sender,
                                                          plan_backfill_chunk=plan))
    return sender


@pytest.fixture
def conn(db):
    entity = Entity.objects.create(name="E", slug="e")
    return Connection.objects.create(entity=entity, kind="scripted", host="ak.example.org", config={"username": "u"},
                                     secrets={"password": "p"})


def _enqueue(conn, key="item:1", **kw):
    delivery, _ = deliveries.delivery_enqueue(connection=conn, key=key, event_type="item", payload={"n": 1}, **kw)
    return delivery


def test_it_sends_after_commit_and_records_the_attempt(conn, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _enqueue(conn)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED and delivery.remote_ref == "ok"
    assert sender.sent == ["item:1"]
    assert DeliveryAttempt.objects.get(delivery=delivery).outcome == Outcome.SUCCESS


def test_it_collapses_a_second_enqueue_of_the_same_event(conn, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _enqueue(conn)
        second = _enqueue(conn)
    assert first.pk == second.pk and sender.sent == ["item:1"]


def test_it_retries_retryable_outcomes_then_marks_dead(conn, sender, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    settings.CONNECTION_ERROR_AFTER_FAILURES = 1
    sender.script = [Outcome(Outcome.RETRYABLE, 503, "busy"), Outcome(Outcome.RETRYABLE, 503, "busy")]
    delivery = _enqueue(conn)
    deliveries.delivery_send_one(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.next_attempt_at > timezone.now()
    conn.refresh_from_db()
    assert conn.status == Connection.Status.ERROR and "busy" in conn.status_reason
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    deliveries.delivery_send_one(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DEAD and delivery.attempts == 2


def test_a_success_clears_connection_error_by_itself(conn, sender, settings):
    settings.CONNECTION_ERROR_AFTER_FAILURES = 1
    sender.script = [Outcome(Outcome.RETRYABLE, 500, "down")]
    delivery = _enqueue(conn)
    deliveries.delivery_send_one(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    deliveries.delivery_send_one(delivery_id=delivery.pk)
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED and conn.status_reason == "" and conn.consecutive_failures == 0


def test_a_halt_stops_the_connection_without_using_a_try(conn, sender):
    sender.script = [Outcome(Outcome.HALT, 401, "ActionKit rejected the username or password (HTTP 401).")]
    first, second = _enqueue(conn, "item:1"), _enqueue(conn, "item:2")
    deliveries.delivery_send_one(delivery_id=first.pk)
    first.refresh_from_db()
    conn.refresh_from_db()
    assert first.status == Delivery.Status.PENDING and first.attempts == 0
    assert conn.halted and conn.status == Connection.Status.ERROR and "401" in conn.status_reason
    assert deliveries.delivery_send_one(delivery_id=second.pk) is None  # Nothing more goes out while halted.
    connections.connection_connect(entity=conn.entity, kind="scripted", host=conn.host, config={}, secrets={"password": "new"},
                                   actor=None)
    assert deliveries.delivery_send_one(delivery_id=second.pk) == Outcome.SUCCESS


def test_a_refusal_of_credentials_replaced_in_flight_halts_nothing(conn, sender, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    """The admin reconnects while a request made with the old password is still out; its 401 arrives after."""
    def refused_after_a_reconnect(connection, delivery):
        if not sender.sent:
            connections.connection_connect(entity=conn.entity, kind="scripted", host=conn.host, config={},
                                           secrets={"password": "new"}, actor=None)
        sender.sent.append(delivery.key)
        return Outcome(Outcome.HALT, 401, "ActionKit rejected the username or password (HTTP 401).") \
            if len(sender.sent) == 1 else Outcome(Outcome.SUCCESS, status_code=200, remote_ref="ok")

    monkeypatch.setitem(registry._KINDS, "scripted",
                        dataclasses.replace(registry._KINDS["scripted"], send=refused_after_a_reconnect))
    delivery = _enqueue(conn)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_send_one(delivery_id=delivery.pk)
    conn.refresh_from_db()
    delivery.refresh_from_db()
    assert not conn.halted and conn.status == Connection.Status.CONNECTED
    assert delivery.status == Delivery.Status.SUCCEEDED and sender.sent == ["item:1", "item:1"]  # Sent again at once.
    assert not conn.entity.audit_events.filter(action="connection.halted").exists()


def _people(entity):
    from django.contrib.auth import get_user_model

    from integrations.models import Membership

    make = get_user_model().objects.create_user
    Membership.objects.create(entity=entity, user=make("admin", "admin@example.org"), role=Membership.Role.ADMIN)
    Membership.objects.create(entity=entity, user=make("keeper", "keeper@example.org"), can_manage_integrations=True)
    Membership.objects.create(entity=entity, user=make("staff", "staff@example.org"))


def test_a_halt_emails_the_people_who_can_fix_it_once(conn, sender, mailoutbox, django_capture_on_commit_callbacks):
    _people(conn.entity)
    sender.script = [Outcome(Outcome.HALT, 401, "ActionKit rejected the username or password (HTTP 401).")] * 2
    with django_capture_on_commit_callbacks(execute=True):
        for key in ("item:1", "item:2"):
            deliveries.delivery_send_one(delivery_id=_enqueue(conn, key).pk)
    assert len(mailoutbox) == 1  # The second refusal finds the connection already halted.
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["admin@example.org", "keeper@example.org"]
    assert mail.subject == "E: Scripted is paused" and "HTTP 401" in mail.body


def test_a_connection_failing_for_days_is_paused_and_its_waiting_events_kept(conn, sender, settings, mailoutbox,
                                                                            django_capture_on_commit_callbacks):
    _people(conn.entity)
    settings.CONNECTION_PAUSE_AFTER_HOURS = 120
    Connection.objects.filter(pk=conn.pk).update(first_failure_at=timezone.now() - timedelta(hours=119),
                                                 consecutive_failures=40)
    sender.script = [Outcome(Outcome.RETRYABLE, 503, "Service Unavailable")] * 2
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_send_one(delivery_id=_enqueue(conn, "item:1").pk)
    conn.refresh_from_db()
    assert not conn.halted and mailoutbox == []  # 119 hours: still retrying.
    Connection.objects.filter(pk=conn.pk).update(first_failure_at=timezone.now() - timedelta(hours=121))
    waiting = _enqueue(conn, "item:2")
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_send_one(delivery_id=waiting.pk)
    conn.refresh_from_db()
    waiting.refresh_from_db()
    assert conn.halted and conn.status_reason.startswith("Paused: every delivery has failed for 120 hours")
    assert waiting.status == Delivery.Status.FAILED and len(mailoutbox) == 1
    assert deliveries.delivery_send_one(delivery_id=waiting.pk) is None  # Nothing goes out while paused.
    connections.connection_connect(entity=conn.entity, kind="scripted", host=conn.host, config={},
                                   secrets={"password": "p"}, actor=None)
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    assert deliveries.delivery_send_one(delivery_id=waiting.pk) == Outcome.SUCCESS


def test_a_permanent_outcome_is_dead_at_once(conn, sender):
    sender.script = [Outcome(Outcome.PERMANENT, 400, "zip: ZIP Code is invalid.")]
    delivery = _enqueue(conn)
    deliveries.delivery_send_one(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DEAD and "ZIP" in delivery.last_error


def test_a_dependent_event_waits_for_its_contribution(conn, sender):
    contribution = _enqueue(conn, "contribution:1")
    refund = _enqueue(conn, "refund:1", depends_on=contribution)
    assert deliveries.delivery_send_one(delivery_id=refund.pk) is None
    assert sender.sent == []
    deliveries.delivery_send_one(delivery_id=contribution.pk)
    Delivery.objects.filter(pk=refund.pk).update(next_attempt_at=timezone.now())
    assert deliveries.delivery_send_one(delivery_id=refund.pk) == Outcome.SUCCESS
    assert sender.sent == ["contribution:1", "refund:1"]


def test_a_dependent_event_of_a_dependency_that_failed_for_good_says_so_without_naming_a_kind(conn, sender):
    sender.script = [Outcome(Outcome.PERMANENT, 400, "email: Enter a valid email address.")]
    create = _enqueue(conn, "member:1:create")
    edit = _enqueue(conn, "member:1:edit", depends_on=create)
    deliveries.delivery_send_one(delivery_id=create.pk)
    assert deliveries.delivery_send_one(delivery_id=edit.pk) is None
    edit.refresh_from_db()
    assert (edit.status, edit.last_error) == (Delivery.Status.DEAD, deliveries.DEPENDENCY_LOST)
    assert "contribution" not in edit.last_error and sender.sent == ["member:1:create"]


def test_nothing_is_sent_after_disconnect_and_reconnect_resumes(conn, sender):
    delivery = _enqueue(conn)
    connections.connection_disconnect(connection=conn, actor=None)
    assert deliveries.delivery_send_one(delivery_id=delivery.pk) is None
    conn.refresh_from_db()
    assert conn.secrets == {} and Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.PENDING
    connections.connection_connect(entity=conn.entity, kind="scripted", host=conn.host, config={}, secrets={"password": "p"},
                                   actor=None)
    deliveries.delivery_send_one(delivery_id=delivery.pk)
    assert sender.sent == ["item:1"]


def test_the_sweeper_frees_stuck_claims_and_requeues_lost_tasks(conn, sender, settings):
    stuck = _enqueue(conn, "item:1")
    lost = _enqueue(conn, "item:2")
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=stuck.pk).update(status=Delivery.Status.SENDING, claimed_at=long_ago, attempts=1)
    Delivery.objects.filter(pk=lost.pk).update(enqueued_at=long_ago)
    result = deliveries.deliveries_sweep()  # Eager Celery: the re-queued sends run inline.
    assert result == {"requeued": 2, "freed": 1}
    assert set(sender.sent) == {"item:1", "item:2"}
    assert Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).count() == 2


def test_manual_retry_sends_a_dead_delivery_again(conn, sender, django_capture_on_commit_callbacks):
    sender.script = [Outcome(Outcome.PERMANENT, 400, "bad")]
    delivery = _enqueue(conn)
    deliveries.delivery_send_one(delivery_id=delivery.pk)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_retry(delivery=Delivery.objects.get(pk=delivery.pk), actor=None)
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SUCCEEDED


def test_a_backfill_plans_in_chunks_and_pumps_to_done(conn, sender, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(backfills, "PLAN_CHUNK", 2)
    with django_capture_on_commit_callbacks(execute=True):
        backfill = backfills.backfill_start(connection=conn, params={}, actor=None)
    backfill.refresh_from_db()
    assert backfill.status == Backfill.Status.DONE and backfill.planned == 5 and backfill.succeeded == 5
    assert backfills.backfill_progress(backfill)["percent"] == 100
    assert sorted(sender.sent) == [f"item:{n}" for n in range(1, 6)]


def test_cancelling_a_backfill_stops_its_rows(conn, sender):
    backfill = Backfill.objects.create(connection=conn, status=Backfill.Status.RUNNING, planned=2)
    resent = Delivery.objects.create(connection=conn, key="a", event_type="item", lane=Delivery.Lane.BACKFILL,
                                     backfill=backfill, delivered_at=timezone.now())
    fresh = Delivery.objects.create(connection=conn, key="b", event_type="item", lane=Delivery.Lane.BACKFILL, backfill=backfill)
    backfills.backfill_cancel(backfill=backfill, actor=None)
    assert Delivery.objects.get(pk=resent.pk).status == Delivery.Status.SUCCEEDED
    assert Delivery.objects.get(pk=fresh.pk).status == Delivery.Status.CANCELLED
    assert Backfill.objects.get(pk=backfill.pk).status == Backfill.Status.CANCELLED


def test_retry_delay_backs_off_with_jitter_and_honours_retry_after(settings):
    settings.DELIVERY_BACKOFF_BASE_SECONDS = 10
    settings.DELIVERY_BACKOFF_MAX_SECONDS = 100
    assert 8 <= outcomes.retry_delay_seconds(1) <= 12
    assert 32 <= outcomes.retry_delay_seconds(3) <= 48
    assert 80 <= outcomes.retry_delay_seconds(10) <= 120
    assert outcomes.retry_delay_seconds(1, retry_after=300) == 300
