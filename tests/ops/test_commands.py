import pytest
from django.core.management import CommandError, call_command

from integrations.models import AuditEvent, Connection, Delivery


@pytest.fixture
def outbox_connection(cast):
    return Connection.objects.create(entity=cast.entity_a, kind="actblue", host="ak.example.org")


@pytest.mark.django_db
def test_deliveries_replay_requeues_only_the_chosen_status(outbox_connection, capsys, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("integrations.services.deliveries.delivery_send_queue", lambda delivery_id, countdown=0: sent.append(delivery_id))
    dead = [Delivery.objects.create(connection=outbox_connection, key=f"d{i}", event_type="contribution", status="dead", attempts=12)
            for i in range(3)]
    done = Delivery.objects.create(connection=outbox_connection, key="ok", event_type="contribution", status="succeeded")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("deliveries_replay", "--connection", str(outbox_connection.pk), "--status", "dead")

    assert "Queued 3 deliveries" in capsys.readouterr().out
    assert sorted(sent) == sorted(d.pk for d in dead)
    assert set(Delivery.objects.filter(pk__in=[d.pk for d in dead]).values_list("status", "attempts")) == {("pending", 0)}
    assert Delivery.objects.get(pk=done.pk).status == "succeeded"
    assert AuditEvent.objects.filter(action="delivery.retried").count() == 3


@pytest.mark.django_db
def test_deliveries_replay_dry_run_and_limit(outbox_connection, capsys):
    for i in range(4):
        Delivery.objects.create(connection=outbox_connection, key=f"d{i}", event_type="contribution", status="dead")
    call_command("deliveries_replay", "--connection", str(outbox_connection.pk), "--dry-run")
    assert "Would replay 4 dead deliveries" in capsys.readouterr().out
    assert Delivery.objects.filter(status="dead").count() == 4
    call_command("deliveries_replay", "--connection", str(outbox_connection.pk), "--limit", "1")
    assert Delivery.objects.filter(status="dead").count() == 3


@pytest.mark.django_db
def test_deliveries_replay_rejects_an_unknown_connection():
    with pytest.raises(CommandError, match="No connection with id 999"):
        call_command("deliveries_replay", "--connection", "999")


@pytest.mark.django_db
def test_entity_pause_and_resume(cast, capsys):
    call_command("entity_pause", cast.entity_a.slug)
    cast.entity_a.refresh_from_db()
    assert cast.entity_a.paused
    call_command("entity_pause", cast.entity_a.slug)
    assert "already paused" in capsys.readouterr().out
    call_command("entity_pause", cast.entity_a.slug, "--resume")
    cast.entity_a.refresh_from_db()
    assert not cast.entity_a.paused
    assert list(AuditEvent.objects.filter(entity=cast.entity_a).values_list("action", flat=True)) == ["entity.resumed", "entity.paused"]
    with pytest.raises(CommandError):
        call_command("entity_pause", "nope")


@pytest.mark.django_db
def test_the_admin_retries_a_connections_dead_deliveries(outbox_connection):
    from django.contrib.auth import get_user_model
    from django.test import Client

    operator = get_user_model().objects.create_superuser(username="op", password="op-password-123")
    client = Client()
    client.force_login(operator)
    for i in range(3):
        Delivery.objects.create(connection=outbox_connection, key=f"d{i}", event_type="contribution", status="dead")
    Delivery.objects.create(connection=outbox_connection, key="ok", event_type="contribution", status="succeeded")
    response = client.post("/admin/integrations/connection/", {"action": "retry_dead", "_selected_action": [outbox_connection.pk]},
                           follow=True)
    assert "Queued 3 dead deliveries" in response.content.decode()
    assert list(Delivery.objects.order_by("key").values_list("status", flat=True)) == ["pending"] * 3 + ["succeeded"]
