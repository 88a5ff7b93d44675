"""The per-tenant ledger migrations (actblue 0002–0005) on data written under the old global keys."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
OLD, NEW = [("actblue", "0001_initial")], [("actblue", "0005_squatted_entities_delete")]
WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def migrate(targets):
    """Migrate actblue to `targets`, every other app staying at its newest; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "actblue"]
    executor.migrate(targets)
    return executor.loader.project_state(targets + others).apps


@pytest.fixture(autouse=True)
def _newest_schema_afterwards():
    yield  # Even when the test fails half-way, later tests need today's schema back.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_old_rows_move_into_the_tenant_that_recorded_them():
    apps = migrate(OLD)
    Entity = apps.get_model("integrations", "Entity")
    Membership = apps.get_model("integrations", "Membership")
    User = apps.get_model("auth", "User")
    Connection = apps.get_model("integrations", "Connection")
    Delivery = apps.get_model("integrations", "Delivery")
    Link = apps.get_model("actblue", "ActBlueEntityLink")
    Form = apps.get_model("actblue", "Form")
    Contribution = apps.get_model("actblue", "Contribution")
    LineItem = apps.get_model("actblue", "LineItem")

    a, b = Entity.objects.create(name="A", slug="a"), Entity.objects.create(name="B", slug="b")
    squatted = Entity.objects.create(name="ActBlue entity 30001", slug="actblue-30001")
    for entity in (a, b):
        Membership.objects.create(user=User.objects.create(username=f"admin-{entity.slug}"), entity=entity, role="admin")
    Link.objects.create(entity=a, actblue_entity_id=5001)
    Link.objects.create(entity=b, actblue_entity_id=5002)
    Link.objects.create(entity=squatted, actblue_entity_id=30001)
    conn_a = Connection.objects.create(entity=a, kind="actblue_actionkit", host="ak.example.org")
    conn_b = Connection.objects.create(entity=b, kind="actblue_actionkit", host="ak.example.org")
    # A posted B's form name first, so B's later gifts were filed under A's form.
    shared = Form.objects.create(name="beta-spring", owner=a)
    order_a = Contribution.objects.create(entity=a, form=shared, order_number="A-1", created_at_ab=WHEN)
    order_b = Contribution.objects.create(entity=b, form=shared, order_number="B-1", created_at_ab=WHEN)
    item_a = LineItem.objects.create(contribution=order_a, form=shared, lineitem_id=1, recipient=squatted,
                                     recipient_actblue_id=30001, amount=5, paid_at=WHEN)
    item_b = LineItem.objects.create(contribution=order_b, form=shared, lineitem_id=2, recipient=b,
                                     recipient_actblue_id=5002, amount=5, paid_at=WHEN)
    # Under the old routing A's managed-forms setting queued B's gift for A's ActionKit.
    leaked = Delivery.objects.create(connection=conn_a, key="actblue:contribution:2", event_type="contribution",
                                     source_id=item_b.pk, status="pending")
    own = Delivery.objects.create(connection=conn_b, key="actblue:contribution:2", event_type="contribution",
                                  source_id=item_b.pk, status="pending")

    apps = migrate(NEW)
    Form = apps.get_model("actblue", "Form")
    LineItem = apps.get_model("actblue", "LineItem")
    Profile = apps.get_model("actblue", "ActBlueProfile")
    Delivery = apps.get_model("integrations", "Delivery")
    Entity = apps.get_model("integrations", "Entity")

    assert sorted(Form.objects.values_list("entity__slug", "name")) == [("a", "beta-spring"), ("b", "beta-spring")]
    assert LineItem.objects.get(pk=item_a.pk).entity.slug == "a"
    moved = LineItem.objects.get(pk=item_b.pk)
    assert (moved.entity.slug, moved.form.entity.slug) == ("b", "b")
    assert Form.objects.get(entity__slug="a").managed  # A's line item went to someone else: a form A manages.
    assert not Form.objects.get(entity__slug="b").managed
    assert dict(Profile.objects.values_list("entity__slug", "entity_ids")) == {"a": [5001], "b": [5002]}
    assert Delivery.objects.get(pk=leaked.pk).status == "cancelled"
    assert "another organization" in Delivery.objects.get(pk=leaked.pk).last_error
    assert Delivery.objects.get(pk=own.pk).status == "pending"
    assert not Entity.objects.filter(slug="actblue-30001").exists()
    assert Entity.objects.filter(slug__in=["a", "b"]).count() == 2
