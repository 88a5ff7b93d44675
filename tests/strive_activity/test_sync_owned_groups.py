"""Groups the sync owns: no Delete button while protected, and no members added by hand."""

import pytest
from django.urls import reverse

from strive.models import Group, Member
from strive.services.groups import GroupSyncOwned, group_add_member

pytestmark = pytest.mark.django_db


def test_a_protected_group_shows_its_protection_instead_of_a_delete_button(synced_page, cast):
    Group.objects.create(entity=cast.entity_a, name="Walkers")
    page = cast.client_for(cast.alice).get(reverse("strive:groups", args=[cast.entity_a.slug])).content.decode()
    protected = page.split('data-group="petition-a"', 1)[1].split("</tr>", 1)[0]
    manual = page.split('data-group="Walkers"', 1)[1].split("</tr>", 1)[0]
    assert "is synced" in protected and "Protected; cannot be deleted" in protected and ">Delete<" not in protected
    assert ">Delete<" in manual


def test_members_cannot_be_added_by_hand_to_a_page_group(synced_page, cast):
    member = Member.objects.create(entity=cast.entity_a, phone="+12025550177")
    client = cast.client_for(cast.alice)
    detail = reverse("strive:member", args=[cast.entity_a.slug, member.pk])
    form = client.get(detail).content.decode().split('id="add-group"', 1)[1].split("</select>", 1)[0]
    assert "petition-a" not in form  # Not offered...
    response = client.post(detail, {"do": "group", "group": synced_page.group_id}, follow=True)  # ...and refused.
    assert response.status_code == 200
    assert "is filled by the sync from its ActionKit page; members cannot be added by hand" in response.content.decode()
    assert not synced_page.group.memberships.filter(member=member).exists()
    with pytest.raises(GroupSyncOwned):
        group_add_member(group=synced_page.group, member=member)
