"""The one Groups page (strive:groups): kinds, sizes, protection reasons, manual groups, access and tenant scoping.

The activity side's protected groups (page, usergroup, ActionField) are tested in tests/strive_activity."""

from itertools import count

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import Connection
from strive import selectors
from strive.models import Group, Member

pytestmark = pytest.mark.django_db
PHONES = count(1000)  # Each member its own phone number, which is unique per entity.


def _url(cast, name="strive:groups", **kw):
    return reverse(name, kwargs={"entity_slug": cast.entity_a.slug, **kw})


def _group_with(entity, name: str, members: int, **kw) -> Group:
    group = Group.objects.create(entity=entity, name=name, **kw)
    for _ in range(members):
        member = Member.objects.create(entity=entity, phone=f"+1202555{next(PHONES)}")
        group.memberships.create(member=member)
    return group


def test_it_counts_every_groups_size_in_the_one_list_query(cast):
    for n in range(5):
        _group_with(cast.entity_a, f"Group {n}", members=n)
    with CaptureQueriesContext(db) as queries:
        sizes = {g.name: g.size for g in selectors.group_list_sized(entity=cast.entity_a)}
    assert len(queries) == 1
    assert sizes == {f"Group {n}": n for n in range(5)}


def test_it_shows_kind_size_and_why_the_primary_group_is_protected(cast):
    conn = Connection.objects.create(entity=cast.entity_a, kind="strive_actionkit", host="ak.example.org",
                                     config={"sync_accounts": True}, secrets={"password": "pw"})
    _group_with(cast.entity_a, "ActionKit Integration", members=2, kind=Group.Kind.PRIMARY, connection=conn)
    _group_with(cast.entity_a, "Phone bankers", members=3)
    page = cast.client_for(cast.bob).get(_url(cast)).content.decode()
    assert page.count('class="badge"') == 2 and "Primary" in page and "Manual" in page
    assert '<td data-label="Members" class="num">2</td>' in page and '<td data-label="Members" class="num">3</td>' in page
    assert "managed by the active ActionKit integration" in page and "Not protected" in page


def test_any_member_creates_and_deletes_manual_groups(cast):
    client = cast.client_for(cast.bob)  # Staff without the Integrations permission, as on the activity page before.
    assert "No groups yet." in client.get(_url(cast)).content.decode()
    blank = client.post(_url(cast), {"name": "   "}).content.decode()
    assert "Give the group a name." in blank and not Group.objects.exists()
    created = client.post(_url(cast), {"name": " Canvassers "}, follow=True).content.decode()
    group = Group.objects.get(entity=cast.entity_a)
    assert (group.name, group.kind) == ("Canvassers", Group.Kind.MANUAL) and "Created the group “Canvassers”" in created
    deleted = client.post(_url(cast, "strive:group-delete", group_id=group.pk), follow=True).content.decode()
    assert not Group.objects.exists() and "Deleted the group “Canvassers”" in deleted


def test_a_refused_delete_names_the_group_and_the_reason(cast):
    conn = Connection.objects.create(entity=cast.entity_a, kind="strive_actionkit", host="ak.example.org",
                                     config={"sync_accounts": True}, secrets={"password": "pw"})
    group = _group_with(cast.entity_a, "ActionKit Integration", members=0, kind=Group.Kind.PRIMARY, connection=conn)
    refused = cast.client_for(cast.alice).post(_url(cast, "strive:group-delete", group_id=group.pk), follow=True)
    text = refused.content.decode()
    assert "“ActionKit Integration” was not deleted" in text and "turn Sync Accounts off first" in text
    assert Group.objects.filter(pk=group.pk).exists()


def test_another_entitys_group_is_a_404(cast):
    theirs = _group_with(cast.entity_b, "Entity B's group", members=1)
    alice = cast.client_for(cast.alice)
    assert alice.post(_url(cast, "strive:group-delete", group_id=theirs.pk)).status_code == 404
    assert Group.objects.filter(pk=theirs.pk).exists()
    assert "Entity B" not in alice.get(_url(cast)).content.decode().split("<h1>", 1)[1]
    charlie = cast.client_for(cast.charlie)
    assert charlie.get(_url(cast)).status_code == 404
    assert charlie.post(_url(cast), {"name": "Intruders"}).status_code == 404 and not Group.objects.filter(
        entity=cast.entity_a).exists()
