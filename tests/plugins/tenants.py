"""The cast of every access test, as in healthchecks' hc/test.py.

alice runs entity A (admin); bob is staff in A without the Integrations permission; carol is staff in A with it;
charlie is the admin of entity B and must get a 404 on every page of A.
"""

import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from integrations.models import Entity, Membership

PASSWORD = "correct-horse-battery-staple"
TESTS_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Cast:
    entity_a: Entity
    entity_b: Entity
    alice: object
    bob: object
    carol: object
    charlie: object

    def client_for(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


def _user(username: str):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)  # allauth logs in confirmed ones only.
    return user


@pytest.fixture
def cast(db) -> Cast:
    entity_a = Entity.objects.create(name="Entity A", slug="entity-a")
    entity_b = Entity.objects.create(name="Entity B", slug="entity-b")
    alice, bob, carol, charlie = (_user(name) for name in ("alice", "bob", "carol", "charlie"))
    Membership.objects.create(user=alice, entity=entity_a, role=Membership.Role.ADMIN)
    Membership.objects.create(user=bob, entity=entity_a, role=Membership.Role.STAFF)
    Membership.objects.create(user=carol, entity=entity_a, role=Membership.Role.STAFF, can_manage_integrations=True)
    Membership.objects.create(user=charlie, entity=entity_b, role=Membership.Role.ADMIN)
    return Cast(entity_a, entity_b, alice, bob, carol, charlie)


@pytest.fixture
def alice_client(cast) -> Client:
    return cast.client_for(cast.alice)


def assert_hidden_from_outsiders(cast: Cast, url: str, *, method: str = "get") -> None:
    """The one-liner for every new entity view: outsiders get 404, anonymous users go to the login page."""
    outsider = getattr(cast.client_for(cast.charlie), method)(url)
    assert outsider.status_code == 404, f"{url} answered {outsider.status_code} to a user of another entity"
    anonymous = getattr(Client(), method)(url)
    assert anonymous.status_code in (302, 404), f"{url} answered {anonymous.status_code} to an anonymous user"
    if anonymous.status_code == 302:
        assert "/login/" in anonymous["Location"]


def isolation_registry() -> dict:
    """Every app's tests/<app>/isolation.py URLS merged: URL name -> the extra kwargs it needs (a factory of the cast)."""
    urls = {}
    for path in sorted(TESTS_DIR.glob("*/isolation.py")):
        urls.update(importlib.import_module(f"tests.{path.parent.name}.isolation").URLS)
    return urls


def entity_url_names(resolver=None, prefix="", namespace="") -> set[str]:
    """The qualified names of every URL pattern under e/<entity_slug>/ in the current URLconf."""
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            child_ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= entity_url_names(entry, pattern, child_ns)
        elif isinstance(entry, URLPattern) and "<slug:entity_slug>" in pattern and entry.name:
            names.add(namespace + entry.name)
    return names
