"""The demo generator: forms, own/tandem/managed contributions, refunds, a cancellation and a sandbox connection;
running it again changes nothing (make run re-runs it)."""

import pytest
from django.core.management import call_command

from actblue.kind import KIND
from actblue.models import Cancellation, Contribution, Form, LineItem, Refund
from integrations.models import Connection, Delivery, Entity

pytestmark = pytest.mark.django_db


def counts():
    ours = [m.objects.count() for m in (Form, Contribution, LineItem, Refund, Cancellation)]
    return [*ours, Connection.objects.filter(kind=KIND).count(), Delivery.objects.filter(connection__kind=KIND).count()]


def test_it_seeds_once_and_is_idempotent():
    call_command("seed_demo", sandbox_host="127.0.0.1:8001")
    first = counts()
    call_command("seed_demo", sandbox_host="127.0.0.1:8001")
    assert counts() == first
    demo = Entity.objects.get(slug="demo-pac")
    connection = Connection.objects.get(entity=demo, kind=KIND)
    assert (connection.host, connection.config["username"], connection.config["account"]) == (
        "127.0.0.1:8001", "demo-staff", "Default ActBlue")
    assert connection.secrets == {"password": "demo-staff-password"}
    assert Form.objects.filter(entity=demo, managed=True).exists()  # Tandem and managed forms.
    assert LineItem.objects.exclude(recipient_actblue_id=10001).exists() and Refund.objects.count() == 2
    assert set(LineItem.objects.values_list("entity__slug", flat=True)) == {"demo-pac"}  # No entity but the demo's.
    assert list(Entity.objects.values_list("slug", flat=True)) == ["demo-pac"]
    assert Cancellation.objects.count() == 1 and Delivery.objects.filter(connection=connection).exists()


def test_a_rerun_leaves_a_disconnected_connection_alone():
    call_command("seed_demo", sandbox_host="127.0.0.1:8001")
    Connection.objects.filter(kind=KIND).update(status=Connection.Status.DISCONNECTED)
    call_command("actblue_demo", entity="demo-pac", sandbox_host="127.0.0.1:9999")
    connection = Connection.objects.get(kind=KIND, entity__slug="demo-pac")
    assert (connection.status, connection.host) == (Connection.Status.DISCONNECTED, "127.0.0.1:8001")
