"""Small slips on the activity tabs: unique group names, and an Actions tab that says when pages are importing."""

import pytest
from django.urls import reverse

from strive.activity.mapping import action_from_ak
from strive.activity.models import Page
from strive.activity.services.actions import actions_ingest
from strive.models import Group

pytestmark = pytest.mark.django_db


def _url(cast, name):
    return reverse(f"strive_activity:{name}", args=[cast.entity_a.slug])


def test_a_second_group_with_the_same_name_is_refused(cast, activity_connection, synced_page, fake_ak):
    fake_ak.add_user(1)
    actions_ingest(connection=activity_connection, items=[action_from_ak(fake_ak.add_action(
        1, page=10, user=1, fields={"volunteer": "yes"}))], source="poll", client=fake_ak)
    client = cast.client_for(cast.alice)
    client.post(_url(cast, "actionfield-groups"), {"name": "Volunteers", "field_name": "volunteer"})
    again = client.post(_url(cast, "actionfield-groups"), {"name": " volunteers ", "field_name": "volunteer"})
    assert again.status_code == 200
    assert "A group named “volunteers” already exists. Choose another name." in again.content.decode()
    assert Group.objects.filter(entity=cast.entity_a, name__iexact="volunteers").count() == 1


def test_the_actions_tab_says_synced_pages_are_importing(cast, activity_connection, synced_page):
    Page.objects.filter(pk=synced_page.pk).update(import_status="running")
    page = cast.client_for(cast.alice).get(_url(cast, "actions")).content.decode()
    assert "No actions yet: petition-a is importing." in page and "Sync a page" not in page
