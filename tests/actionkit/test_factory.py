import pytest

from actionkit import factory
from integrations.models import Connection, Entity


@pytest.fixture
def actblue_connection(db):
    entity = Entity.objects.create(name="E", slug="e")
    return Connection.objects.create(entity=entity, kind="actblue_actionkit", host="ak.example.org", records_per_minute=1000,
                                     config={"username": "staff"}, secrets={"password": "pw"})


def test_it_plans_below_the_budget_once_however_often_the_client_is_asked_for(actblue_connection):
    factory.clients_clear()
    first = factory.client_for(actblue_connection)
    for _ in range(5):
        again = factory.client_for(actblue_connection)
    assert again is first
    assert first.throttle.per_minute == 980


def test_a_new_budget_makes_a_new_client(actblue_connection):
    factory.clients_clear()
    first = factory.client_for(actblue_connection)
    actblue_connection.records_per_minute = 500
    second = factory.client_for(actblue_connection)
    assert second is not first and second.throttle.per_minute == 490


def test_unlimited_stays_unlimited():
    assert factory.planned_per_minute(0) == 0


def test_it_caches_one_client_per_connection_and_class(actblue_connection):
    factory.clients_clear()
    live, bulk = factory.client_for(actblue_connection), factory.bulk_client_for(actblue_connection)
    assert live is not bulk and factory.bulk_client_for(actblue_connection) is bulk
    assert factory.client_for(actblue_connection) is live
    assert (live.throttle.priority, bulk.throttle.priority) == ("live", "bulk")
    assert live.throttle.key == bulk.throttle.key  # One budget, shared by both classes.
    assert bulk.throttle.class_per_minute == 960 and live.throttle.class_per_minute == 980
