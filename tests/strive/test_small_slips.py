"""Small slips on the member-sync pages: one message after Sync off, the right one after Sync on again, and counts
written 2,323 wherever they show."""

import pytest
from django.urls import reverse

from integrations.models import SyncCursor
from strive.models import Group, Member
from strive.services.activation import strive_connect

pytestmark = pytest.mark.django_db


def url(name, cast):
    return reverse(name, kwargs={"entity_slug": cast.entity_a.slug})


def test_turning_sync_off_says_so_once_and_on_again_does_not_restart_a_finished_sync(cast, members_connection, sandbox):
    client = cast.client_for(cast.alice)
    client.post(url("strive:sync-toggle", cast), {"sync_accounts": "on"})
    SyncCursor.objects.filter(connection=members_connection, stream="users").update(state={"initial_done": True, "total": 0})
    off = client.post(url("strive:sync-toggle", cast), {"sync_accounts": "off"}, follow=True).content.decode()
    assert off.count("credentials were removed") == 1
    strive_connect(entity=cast.entity_a, host=sandbox.host, username=sandbox.username, password=sandbox.password,
                   actor=cast.alice)
    on = client.post(url("strive:sync-toggle", cast), {"sync_accounts": "on"}, follow=True).content.decode()
    assert "initial sync of your ActionKit users has started" not in on
    assert "The initial sync finished earlier" in on and "Initial sync finished" in on


def test_group_sizes_are_written_with_thousands_separators(cast):
    group = Group.objects.create(entity=cast.entity_a, name="Big")
    members = Member.objects.bulk_create(Member(entity=cast.entity_a, phone=f"+1202555{n:04d}") for n in range(1200))
    group.memberships.bulk_create(group.memberships.model(group=group, member=m) for m in members)
    page = cast.client_for(cast.alice).get(url("strive:groups", cast)).content.decode()
    assert '<td data-label="Members" class="num">1,200</td>' in page
