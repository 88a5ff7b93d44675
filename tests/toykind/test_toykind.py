"""docs/adding-a-kind.md, walked through with a toy third kind: registration, hub tile, nav and tabs, tenancy,
the isolation registry, the connection guard, the outbox `send`, the backfill planner and the demo hook."""

from dataclasses import replace

import pytest
from django.core.management import call_command
from django.urls import reverse

from actionkit import errors
from integrations import registry
from integrations.models import Backfill, Connection, Delivery
from integrations.services import backfills, deliveries, pump
from integrations.services.connections import connection_connect
from tests.plugins.tenants import assert_hidden_from_outsiders, entity_url_names, isolation_registry
from tests.toykind import demo, sender, services
from tests.toykind.kind import DECLARED_KIND, KIND

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.toykind.project_urls")]

# What tests/toykind/isolation.py would hold if the toy's pages were in the project's URLconf (see __init__.py).
TOY_URLS = {
    "toykind:connect": lambda cast: {},
    "toykind:detail": lambda cast: {},
    "toykind:settings": lambda cast: {},
}


@pytest.fixture
def toy(monkeypatch):
    """What the toy app's AppConfig.ready() would do: attach the hooks to the declared kind and register it."""
    monkeypatch.setattr(sender, "SENT", [])
    monkeypatch.setattr(sender, "FAIL_NEXT", [])
    monkeypatch.setattr(demo, "SEEDED", [])
    kind = replace(DECLARED_KIND, send=sender.toy_send, plan_backfill_chunk=services.plan_backfill_chunk,
                   seed_demo=demo.seed_demo)
    monkeypatch.setitem(registry._KINDS, KIND, kind)  # Scoped to the test, as tests/integrations/test_deliveries.py does.
    return kind


def _url(cast, name: str) -> str:
    return reverse(name, kwargs={"entity_slug": cast.entity_a.slug})


def _connect(cast) -> Connection:
    return connection_connect(entity=cast.entity_a, kind=KIND, host="toy.example.org", config={}, secrets={}, actor=None)


def test_it_registers_with_named_hooks_its_nav_and_its_pages(toy):
    assert registry.get_kind(KIND) is toy and toy in registry.kinds()
    assert toy.seed_demo is demo.seed_demo and toy.send is sender.toy_send
    assert registry.kind_for_namespace("toykind") is toy
    assert [link.label for link in registry.nav_links()] == ["Members", "Groups", "Contributions", "Toys"]


def test_its_hub_tile_offers_connect_then_its_details(cast, toy):
    alice = cast.client_for(cast.alice)
    hub = alice.get(reverse("integrations:hub", args=[cast.entity_a.slug])).content.decode()
    assert 'data-kind="toy"' in hub and "A test-only kind that sends nowhere." in hub
    assert f'href="{_url(cast, "toykind:connect")}">Connect' in hub
    assert alice.post(_url(cast, "toykind:connect"))["Location"] == _url(cast, "toykind:detail")
    hub = alice.get(reverse("integrations:hub", args=[cast.entity_a.slug])).content.decode()
    assert f'href="{_url(cast, "toykind:detail")}">View details' in hub


def test_its_pages_show_its_nav_link_breadcrumbs_and_tabs(cast, toy):
    alice = cast.client_for(cast.alice)
    page = alice.get(_url(cast, "toykind:detail")).content.decode()
    assert f'<a href="{_url(cast, "toykind:detail")}">Toys</a>' in page  # The top navigation, from base.html.
    assert "</a> › Toy</div>" in page and 'aria-label="Toy"' in page
    assert ">Details</a>" in page and ">Settings</a>" not in page  # Settings needs an active connection.
    _connect(cast)
    page = alice.get(_url(cast, "toykind:settings")).content.decode()
    assert f'href="{_url(cast, "toykind:settings")}" class="active" aria-current="page">Settings</a>' in page


def test_its_pages_answer_outsiders_with_a_404_and_the_walker_insists_on_it(cast, toy):
    """A new kind's pages fail the isolation walker until they are registered; registered, each one hides."""
    missing = entity_url_names() - set(isolation_registry())
    assert missing == set(TOY_URLS)
    assert not entity_url_names() - set({**isolation_registry(), **TOY_URLS})
    for name, kwargs in TOY_URLS.items():
        url = reverse(name, kwargs={"entity_slug": cast.entity_a.slug, **kwargs(cast)})
        for method in ("get", "post"):
            assert_hidden_from_outsiders(cast, url, method=method)


def test_its_guard_sends_a_user_without_a_live_connection_to_its_details_page(cast, toy):
    alice = cast.client_for(cast.alice)
    response = alice.get(_url(cast, "toykind:settings"))
    assert (response.status_code, response["Location"]) == (302, _url(cast, "toykind:detail"))
    assert "Toy is not connected. Connect it first." in alice.get(response["Location"]).content.decode()
    assert alice.get(_url(cast, "toykind:settings")).status_code == 302
    _connect(cast)
    assert alice.get(_url(cast, "toykind:settings")).status_code == 200


def test_the_outbox_sends_through_its_send_and_the_shared_mapper(cast, toy, django_capture_on_commit_callbacks):
    connection = _connect(cast)
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = deliveries.delivery_enqueue(connection=connection, key="toy:item:1", event_type="item",
                                                  payload={}, source_id=1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.remote_ref, sender.SENT) == (Delivery.Status.SUCCEEDED, "toy:1", ["toy:item:1"])
    sender.FAIL_NEXT.append(errors.UnsafeHostError())
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_enqueue(connection=connection, key="toy:item:2", event_type="item", payload={}, source_id=2)
    connection.refresh_from_db()
    assert connection.halted and sender.SENT == ["toy:item:1"]


def test_without_a_batch_hook_a_turn_sends_each_claimed_row_through_its_send(cast, toy):
    assert toy.prepare_batch is None
    connection = _connect(cast)
    Connection.objects.filter(pk=connection.pk).update(records_per_minute=6_000_000)  # No budget waits.
    Delivery.objects.bulk_create([Delivery(connection=connection, key=f"toy:item:{n}", event_type="item", source_id=n)
                                  for n in (1, 2, 3)])
    assert pump.connection_pump(connection_id=connection.pk) == 3
    assert sender.SENT == ["toy:item:1", "toy:item:2", "toy:item:3"]
    assert sorted(Delivery.objects.values_list("remote_ref", "status")) == [
        ("toy:1", Delivery.Status.SUCCEEDED), ("toy:2", Delivery.Status.SUCCEEDED), ("toy:3", Delivery.Status.SUCCEEDED)]


def test_a_backfill_runs_through_its_planner_and_its_send(cast, toy, django_capture_on_commit_callbacks):
    connection = _connect(cast)
    with django_capture_on_commit_callbacks(execute=True):
        backfill = backfills.backfill_start(connection=connection, params={}, actor=None)
    backfill.refresh_from_db()
    assert (backfill.status, backfill.planned, backfill.succeeded) == (Backfill.Status.DONE, 3, 3)
    assert sorted(sender.SENT) == ["toy:item:1", "toy:item:2", "toy:item:3"]


def test_seed_demo_calls_its_hook(toy):
    call_command("seed_demo", sandbox_host="127.0.0.1:9")  # Nothing listens there; the seeders do not need it.
    assert demo.SEEDED == ["demo-pac"]
