"""Group membership rules and every deletion protection."""

import pytest
from django.urls import reverse

from strive.activity.mapping import action_from_ak
from strive.activity.models import ActionFieldGroup, Usergroup
from strive.activity.services.actions import actions_ingest
from strive.activity.services.groups import actionfield_group_create
from strive.activity.services.pages import page_unsync
from strive.activity.services.usergroups import usergroup_sync, usergroup_unsync, usergroups_refresh
from strive.models import Group, Member, MemberLink
from strive.services.groups import GroupProtected, group_delete


def _ingest(connection, fake_ak, *actions):
    items = [action_from_ak(a) for a in actions]
    return actions_ingest(connection=connection, items=items, source="poll", client=fake_ak)


@pytest.mark.django_db
def test_syncing_a_page_creates_a_page_group_named_after_it(synced_page):
    group = synced_page.group
    assert (group.name, group.kind, group.entity_id) == ("petition-a", Group.Kind.PAGE, synced_page.connection.entity_id)


@pytest.mark.django_db
def test_an_existing_synced_user_joins_the_page_group(activity_connection, synced_page, fake_ak):
    fake_ak.add_user(1)
    _ingest(activity_connection, fake_ak, fake_ak.add_action(1, page=10, user=1))  # Creates and links the member.
    member = Member.objects.get()
    fake_ak.calls.clear()
    _ingest(activity_connection, fake_ak, fake_ak.add_action(2, page=10, user=1))
    assert not any(c.startswith("user ") for c in fake_ak.calls)  # Found through its MemberLink, no fetch.
    assert list(synced_page.group.members.all()) == [member]


@pytest.mark.django_db
@pytest.mark.parametrize("phone, opt_in, joins", [
    ("+12025550111", "yes", True),
    (None, "yes", False),
    ("+12025550111", "", False),
], ids=["phone-and-opt-in", "no-phone", "no-opt-in-value"])
def test_a_new_user_joins_only_with_a_phone_and_an_opt_in_value(activity_connection, synced_page, fake_ak, phone, opt_in,
                                                                 joins):
    fake_ak.add_user(3, phone=phone, opt_in=opt_in)
    stats = _ingest(activity_connection, fake_ak, fake_ak.add_action(1, page=10, user=3))
    assert stats.processed == 1
    assert Member.objects.exists() is joins
    assert synced_page.group.memberships.count() == int(joins)
    assert MemberLink.objects.filter(ak_user_id=3).exists() is joins


@pytest.mark.django_db
def test_actionfield_groups_match_name_and_contained_value_on_one_page_or_all(activity_connection, synced_page, fake_ak, cast):
    fake_ak.add_page(11, "petition-b")
    from strive.activity.services.pages import page_sync, pages_pull

    pages_pull(connection=activity_connection, client=fake_ak)
    other = page_sync(page=synced_page.__class__.objects.get(ak_id=11), actor=cast.alice)
    for user in (1, 2, 3):
        fake_ak.add_user(user)
    _ingest(activity_connection, fake_ak, fake_ak.add_action(1, page=10, user=1, fields={"volunteer": "Yes, weekends"}),
            fake_ak.add_action(2, page=11, user=2, fields={"volunteer": "no"}))
    any_page = actionfield_group_create(connection=activity_connection, name="Volunteers", page=None, field_name="volunteer",
                                        value="", actor=cast.alice)
    yes_only = actionfield_group_create(connection=activity_connection, name="Yes", page=None, field_name="volunteer",
                                        value="YES", actor=cast.alice)
    page_b = actionfield_group_create(connection=activity_connection, name="B", page=other, field_name="volunteer", value="",
                                      actor=cast.alice)
    assert (any_page.group.memberships.count(), yes_only.group.memberships.count(),
            page_b.group.memberships.count()) == (2, 1, 1)
    _ingest(activity_connection, fake_ak, fake_ak.add_action(3, page=11, user=3, fields={"volunteer": "yes"}))
    assert (any_page.group.memberships.count(), yes_only.group.memberships.count(),
            page_b.group.memberships.count()) == (3, 2, 2)
    assert any_page.group.kind == Group.Kind.ACTIONFIELD


@pytest.mark.django_db
def test_a_synced_usergroup_keeps_its_group_current(activity_connection, synced_page, fake_ak, cast,
                                                    django_capture_on_commit_callbacks):
    for user in (1, 2, 3):
        fake_ak.add_user(user)
    _ingest(activity_connection, fake_ak, *(fake_ak.add_action(u, page=10, user=u) for u in (1, 2, 3)))  # Links all three.
    fake_ak.groups[40] = "Volunteers"
    fake_ak.usergroup_members[40] = {1, 2, 999}  # 999 is not a synced member: it never shows up.
    usergroups_refresh(connection=activity_connection, client=fake_ak)
    usergroup = Usergroup.objects.get(ak_id=40)
    with django_capture_on_commit_callbacks(execute=True):
        usergroup = usergroup_sync(usergroup=usergroup, actor=cast.alice)
    usergroup.refresh_from_db()
    assert (usergroup.group.name, usergroup.group.kind) == ("Volunteers", Group.Kind.USERGROUP)
    linked = dict(MemberLink.objects.values_list("ak_user_id", "member_id"))
    assert set(usergroup.group.members.values_list("pk", flat=True)) == {linked[1], linked[2]}
    fake_ak.usergroup_members[40] = {2, 3}  # 1 left, 3 joined.
    usergroups_refresh(connection=activity_connection, client=fake_ak)
    assert set(usergroup.group.members.values_list("pk", flat=True)) == {linked[2], linked[3]}
    usergroup.refresh_from_db()
    assert usergroup.ak_user_count == 2
    del fake_ak.groups[40]
    usergroups_refresh(connection=activity_connection, client=fake_ak)
    assert Usergroup.objects.get(ak_id=40).gone


@pytest.mark.django_db
def test_a_page_group_is_protected_while_the_page_is_synced(synced_page, cast):
    with pytest.raises(GroupProtected, match="petition-a” is synced"):
        group_delete(group=synced_page.group, actor=cast.alice)
    page_unsync(page=synced_page, actor=cast.alice)
    group_delete(group=synced_page.group, actor=cast.alice)
    assert not Group.objects.filter(pk=synced_page.group_id).exists()


@pytest.mark.django_db
def test_a_usergroup_group_is_protected_while_synced(activity_connection, fake_ak, cast):
    fake_ak.groups[40] = "Donors"
    usergroups_refresh(connection=activity_connection, client=fake_ak)
    usergroup = usergroup_sync(usergroup=Usergroup.objects.get(), actor=cast.alice)
    with pytest.raises(GroupProtected, match="usergroup “Donors” is synced"):
        group_delete(group=usergroup.group, actor=cast.alice)
    usergroup_unsync(usergroup=usergroup, actor=cast.alice)
    group_delete(group=usergroup.group, actor=cast.alice)


@pytest.mark.django_db
def test_actionfield_groups_are_deleted_from_their_tab_only(activity_connection, synced_page, cast):
    rule = actionfield_group_create(connection=activity_connection, name="Any", page=None, field_name="x", value="",
                                    actor=cast.alice)
    with pytest.raises(GroupProtected, match="ActionField Groups tab"):
        group_delete(group=rule.group, actor=cast.alice)
    client = cast.client_for(cast.alice)
    refused = client.post(reverse("strive:group-delete", args=[cast.entity_a.slug, rule.group_id]),
                          follow=True)
    assert "was not deleted" in refused.content.decode() and Group.objects.filter(pk=rule.group_id).exists()
    assert "ActionField Groups tab" in refused.content.decode()
    client.post(reverse("strive_activity:actionfield-group-delete", args=[cast.entity_a.slug, rule.pk]))
    assert not Group.objects.filter(pk=rule.group_id).exists() and not ActionFieldGroup.objects.exists()


@pytest.mark.django_db
def test_the_groups_page_shows_each_groups_kind_size_and_protection(activity_connection, synced_page, fake_ak, cast):
    fake_ak.add_user(1)
    _ingest(activity_connection, fake_ak, fake_ak.add_action(1, page=10, user=1, fields={"x": "y"}))
    actionfield_group_create(connection=activity_connection, name="Any", page=None, field_name="x", value="", actor=cast.alice)
    Group.objects.create(entity=cast.entity_a, name="Phone bankers", kind=Group.Kind.MANUAL)
    page = cast.client_for(cast.bob).get(reverse("strive:groups", args=[cast.entity_a.slug])).content.decode()
    rows = {name: page.split(f'data-group="{name}"', 1)[1].split("</tr>", 1)[0]
            for name in ("petition-a", "Any", "Phone bankers")}
    assert "Page</span>" in rows["petition-a"] and '"num">1<' in rows["petition-a"]
    assert "petition-a” is synced; unsync it on the Pages tab first." in rows["petition-a"]
    assert "ActionField</span>" in rows["Any"] and '"num">1<' in rows["Any"] and "ActionField Groups tab" in rows["Any"]
    assert "Manual</span>" in rows["Phone bankers"] and '"num">0<' in rows["Phone bankers"]
    assert "Not protected" in rows["Phone bankers"]


@pytest.mark.django_db
def test_the_primary_group_is_protected_while_the_integration_is_active(activity_connection, cast):
    group = Group.objects.create(entity=cast.entity_a, name="ActionKit Integration", kind=Group.Kind.PRIMARY,
                                 connection=activity_connection)
    with pytest.raises(GroupProtected, match="primary"):
        group_delete(group=group, actor=cast.alice)
    activity_connection.config = {**activity_connection.config, "sync_accounts": False}
    activity_connection.save()
    group_delete(group=group, actor=cast.alice)


@pytest.mark.django_db
def test_manual_groups_are_created_and_deleted_from_the_groups_page(cast):
    client = cast.client_for(cast.alice)
    url = reverse("strive:groups", args=[cast.entity_a.slug])
    page = client.post(url, {"name": "  Phone bankers "}, follow=True).content.decode()
    group = Group.objects.get(name="Phone bankers")
    assert group.kind == Group.Kind.MANUAL and "Not protected" in page
    client.post(reverse("strive:group-delete", args=[cast.entity_a.slug, group.pk]))
    assert not Group.objects.filter(pk=group.pk).exists()
    assert cast.entity_a.audit_events.filter(action="strive.group.deleted").exists()


@pytest.mark.django_db
def test_an_ineligible_user_is_read_again_only_when_they_act_after_the_last_check(activity_connection, synced_page, fake_ak):
    from datetime import UTC, datetime, timedelta

    fake_ak.add_user(4, phone=None)
    _ingest(activity_connection, fake_ak, fake_ak.add_action(1, page=10, user=4, created=datetime.now(UTC) - timedelta(hours=1)))
    fake_ak.calls.clear()
    _ingest(activity_connection, fake_ak, fake_ak.add_action(2, page=10, user=4, created=datetime.now(UTC) - timedelta(hours=1)))
    assert "user 4" not in fake_ak.calls  # Judged ineligible after that action was taken.
    fake_ak.add_user(4, phone="+12025550144")  # They added a phone, then acted again.
    _ingest(activity_connection, fake_ak, fake_ak.add_action(3, page=10, user=4, created=datetime.now(UTC) + timedelta(seconds=5)))
    assert "user 4" in fake_ak.calls
    assert synced_page.group.memberships.count() == 1
