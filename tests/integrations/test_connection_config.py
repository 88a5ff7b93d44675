"""A settings save merges into the stored config: it never drops keys written meanwhile by another process."""

import pytest

from actionkit.services import compat_store
from integrations.models import Connection
from integrations.services.connections import connection_update_config

pytestmark = pytest.mark.django_db


def test_a_settings_save_keeps_a_compatibility_result_stored_since_the_page_loaded(cast):
    connection = Connection.objects.create(entity=cast.entity_a, kind="strive_actionkit", host="ak.example.org",
                                           config={"username": "staff", "sync_accounts": False})
    page_copy = Connection.objects.get(pk=connection.pk)  # What the settings form was rendered from.
    compat_store(connection=connection, result={"checked_at": "2026-12-02T06:00:00", "probes": []})

    connection_update_config(connection=page_copy, changes={"sync_accounts": True}, actor=cast.alice)

    stored = Connection.objects.get(pk=connection.pk).config
    assert stored["sync_accounts"] is True
    assert stored["ak_compat"] == {"checked_at": "2026-12-02T06:00:00", "probes": []}
    assert stored["username"] == "staff"
    assert page_copy.config == stored
