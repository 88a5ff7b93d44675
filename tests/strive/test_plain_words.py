"""The member side speaks as AKbridge: no vendor names of ours on its pages, and the import page carries our name."""

import re

import pytest
from django.urls import reverse

from actionkit.client import ActionKitClient
from integrations.models import Connection
from strive.models import CustomField
from strive.services.activation import sync_activate

pytestmark = pytest.mark.django_db


def url(name, cast, **kw):
    return reverse(name, kwargs={"entity_slug": cast.entity_a.slug, **kw})


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S))


@pytest.mark.parametrize("name", ["strive:fields", "strive:settings"])
def test_the_member_pages_never_say_strive(cast, members_connection, name):
    CustomField.objects.create(entity=cast.entity_a, name="favorite_issue", label="Favorite issue")
    text = _visible(cast.client_for(cast.alice).get(url(name, cast) + "?add=1").content.decode())
    assert "Strive" not in text and "STRIVE" not in text
    if name == "strive:fields":
        assert "AKbridge member field" in text and "One-way, overwrite members" in text


def test_the_custom_field_form_speaks_to_people(cast):
    page = cast.client_for(cast.alice).post(url("strive:custom-fields", cast),
                                            {"label": "Issue", "name": "bad name!", "field_type": "text"})
    text = page.content.decode()
    assert "Member.custom_fields" not in text and "valid “slug”" not in text and "&quot;slug&quot;" not in text
    assert "Use only letters, numbers, hyphens and underscores in the short name" in text


@pytest.fixture
def ensured(monkeypatch):
    names = []
    real = ActionKitClient.import_page_ensure

    def spy(self, *, name, title):
        names.append((name, title))
        return real(self, name=name, title=title)

    monkeypatch.setattr(ActionKitClient, "import_page_ensure", spy)
    return names


def test_a_new_connection_gets_the_akbridge_import_page(cast, members_connection, ensured):
    sync_activate(connection=members_connection, actor=cast.alice)
    members_connection.refresh_from_db()
    assert members_connection.config["import_page"] == "akbridge_member_sync"
    assert ensured == [("akbridge_member_sync", "AKbridge member sync (import page)")]


def test_an_existing_connection_keeps_its_import_page(cast, members_connection, ensured):
    Connection.objects.filter(pk=members_connection.pk).update(config={**members_connection.config, "import_page": "strive_member_sync"})
    members_connection.refresh_from_db()
    sync_activate(connection=members_connection, actor=cast.alice)
    members_connection.refresh_from_db()
    assert members_connection.config["import_page"] == "strive_member_sync"
    assert ensured[0][0] == "strive_member_sync"


def test_the_error_banner_words_a_stored_json_reason(cast, members_connection):
    Connection.objects.filter(pk=members_connection.pk).update(
        status=Connection.Status.ERROR, status_reason='{"error":"Sorry, this request could not be processed."}')
    text = _visible(cast.client_for(cast.alice).get(url("strive:detail", cast)).content.decode())
    assert "Sorry, this request could not be processed." in text and '{"error"' not in text and "&quot;" not in text
