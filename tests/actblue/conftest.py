from dataclasses import dataclass

import pytest

from actblue.kind import CONFIG_ACCOUNT, CONFIG_NOTIFY_MANAGED, CONFIG_USERNAME, KIND
from actblue.services.profile import actblue_identity_set
from actionkit import factory
from integrations.models import Connection
from integrations.services.connections import connection_connect
from tests.actblue.payloads import ENTITY_A_ID, ENTITY_B_ID
from tests.fakes import FakeActionKitClient


@pytest.fixture(autouse=True)
def _fresh_client_cache():
    # The factory caches clients per connection id; test databases reuse ids, so every test starts clean.
    factory.clients_clear()
    yield
    factory.clients_clear()


@pytest.fixture
def fake_ak(monkeypatch) -> FakeActionKitClient:
    fake = FakeActionKitClient()
    monkeypatch.setattr("actionkit.factory.client_for", lambda connection, **_: fake)
    return fake


@dataclass
class World:
    cast: object
    connection_a: Connection

    def connect_b(self, *, notify_managed=False) -> Connection:
        return connect(self.cast.entity_b, notify_managed=notify_managed, account="Entity B")


def connect(entity, *, notify_managed=False, host="ak.example.org", account="Default ActBlue") -> Connection:
    return connection_connect(entity=entity, kind=KIND, host=host,
                              config={CONFIG_USERNAME: "staff", CONFIG_ACCOUNT: account,
                                      CONFIG_NOTIFY_MANAGED: notify_managed},
                              secrets={"password": "right-password"}, actor=None)


@pytest.fixture
def world(cast, fake_ak) -> World:
    actblue_identity_set(entity=cast.entity_a, entity_ids=[ENTITY_A_ID])
    actblue_identity_set(entity=cast.entity_b, entity_ids=[ENTITY_B_ID])
    return World(cast, connect(cast.entity_a))
