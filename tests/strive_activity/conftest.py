import pytest

from integrations.models import Connection
from strive.activity.models import Page
from strive.activity.services.pages import page_sync
from tests.fakes import FakeActionKitClient


@pytest.fixture
def fake_ak(monkeypatch):
    """The fake ActionKit, returned by client_for() for every connection (tasks run eagerly in these tests)."""
    fake = FakeActionKitClient()
    monkeypatch.setattr("actionkit.factory.client_for", lambda connection, **_: fake)
    return fake


@pytest.fixture
def activity_connection(cast):
    from strive.services.fields import core_mappings_ensure

    conn = Connection.objects.create(
        entity=cast.entity_a, kind="strive_actionkit", host="ak.example.org",
        config={"username": "strive", "sync_accounts": True, "opt_in_field": "sms_opt_in"},
        secrets={"password": "pw"}, records_per_minute=1_000_000)
    core_mappings_ensure(connection=conn)  # As connecting does: core fields map with their default options.
    return conn


@pytest.fixture
def synced_page(activity_connection, fake_ak, cast, django_capture_on_commit_callbacks):
    """Page 10 "petition-a", pulled and synced (its import ran: the fake has no past actions)."""
    fake_ak.add_page(10, "petition-a", title="Save the Bay")
    from strive.activity.services.pages import pages_pull

    pages_pull(connection=activity_connection, client=fake_ak)
    with django_capture_on_commit_callbacks(execute=True):
        page = page_sync(page=Page.objects.get(connection=activity_connection, ak_id=10), actor=cast.alice)
    page.refresh_from_db()
    return page
