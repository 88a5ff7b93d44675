"""The activity app's deletion rules reach the members side through strive/protections.py."""

import pytest

from strive.activity.services.groups import group_protection_reason as activity_rule
from strive.activity.services.pages import page_unsync
from strive.models import Group
from strive.protections import PROTECTION_RULES
from strive.services.groups import GroupProtected, group_delete


def test_the_activity_app_registers_its_rule_once_when_ready():
    assert PROTECTION_RULES.count(activity_rule) == 1


@pytest.mark.django_db
def test_the_members_side_refuses_to_delete_a_synced_page_group(synced_page, cast):
    with pytest.raises(GroupProtected, match="petition-a” is synced"):
        group_delete(group=synced_page.group, actor=cast.alice)
    page_unsync(page=synced_page, actor=cast.alice)
    group_delete(group=synced_page.group, actor=cast.alice)
    assert not Group.objects.filter(pk=synced_page.group_id).exists()
