"""The compatibility check against the sandbox, one test per quirk: the check catches it, and the product keeps its
data right (a fallback) or stops only what depends on it, with a message naming what to change in ActionKit."""

import sqlite3

import pytest

from actionkit import compat
from actionkit.factory import client_for, clients_clear
from actionkit.services import compat_check, compat_result
from integrations.models import Connection
from strive.activity.models import Usergroup
from strive.activity.services.poll import poll_connection
from strive.activity.services.usergroups import usergroup_sync, usergroups_refresh
from strive.models import GroupMembership, Member, MemberLink
from strive.services.activation import settings_save, sync_activate
from strive.services.polls import users_poll
from tests.strive.conftest import ak_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture(autouse=True)
def _quirks_off(sandbox):
    yield
    sandbox.quirks_off()
    clients_clear()


def statuses(result: dict) -> dict[str, str]:
    return {row["key"]: row["status"] for row in result["probes"]}


def row(result: dict, key: str) -> dict:
    return next(r for r in result["probes"] if r["key"] == key)


def synced_people(sandbox, connection, cast, n: int) -> list[dict]:
    users = [ak_user(sandbox, f"p{i}@example.org", phone=f"202-555-01{i:02d}", first_name=f"P{i}") for i in range(n)]
    sync_activate(connection=connection, actor=cast.alice)
    assert MemberLink.objects.filter(connection=connection).count() >= n
    return users


def test_on_a_sandbox_that_behaves_every_probe_passes(sandbox, members_connection, cast):
    synced_people(sandbox, members_connection, cast, 3)
    sandbox.seed(pages=2, actions=4, usergroups=1)
    result = compat_check(connection_id=members_connection.pk)
    assert not result.get("error")
    assert {k for k, s in statuses(result).items() if s != compat.PASSED} == set()
    assert "field:sms_opt_in" in statuses(result) and "groups" in statuses(result) and "page_in" in statuses(result)
    assert compat_result(Connection.objects.get(pk=members_connection.pk)) == result  # Stored on the connection.


def test_an_empty_instance_is_cant_tell_not_failed(sandbox, members_connection):
    result = compat_check(connection_id=members_connection.pk)
    assert statuses(result)["groups"] == statuses(result)["since:user"] == compat.UNKNOWN
    assert "Can't tell yet" in row(result, "groups")["detail"]
    assert compat.FAILED not in statuses(result).values()


def test_unknown_filters_ignored_usergroup_sync_fills_only_real_members_through_sql(sandbox, members_connection, cast):
    users = synced_people(sandbox, members_connection, cast, 4)
    client = client_for(members_connection)
    ug = client.probe_list("usergroup")  # Empty; the group is created next.
    assert ug["total"] == 0
    response = sandbox.http.post(f"{sandbox.base_url}/rest/v1/usergroup/", json={"name": "Volunteers"},
                                 auth=(sandbox.username, sandbox.password), timeout=10)
    ug_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    for user in users[:2]:
        client.usergroup_add_user(ug_id, user["id"])
    sandbox.quirk("unknown_filters_ignored")
    sandbox.quirk("users_without_groups")  # No public source shows a groups field on users; unverified.
    # Unchecked, the REST read is silently wrong: the filter is dropped and no user says it is a member.
    assert list(client.usergroup_member_ids(ug_id)) == []

    result = compat_check(connection_id=members_connection.pk)
    assert statuses(result)["groups"] == compat.FAILED
    assert "ignored" in row(result, "groups")["detail"] and "SQL" in row(result, "groups")["effect"]
    assert compat.groups_via_sql(result) and not compat.feature_off(result, "usergroups")

    members_connection.refresh_from_db()
    usergroups_refresh(connection=members_connection, client=client)
    usergroup_sync(usergroup=Usergroup.objects.get(connection=members_connection, ak_id=ug_id), actor=cast.alice)
    group = Usergroup.objects.get(connection=members_connection, ak_id=ug_id).group
    members = set(GroupMembership.objects.filter(group=group).values_list("member_id", flat=True))
    wanted = set(MemberLink.objects.filter(connection=members_connection, ak_user_id__in=[u["id"] for u in users[:2]])
                 .values_list("member_id", flat=True))
    assert members == wanted and len(wanted) == 2


def test_without_report_permission_an_ignored_groups_filter_turns_off_usergroup_sync_only(sandbox, members_connection, cast):
    synced_people(sandbox, members_connection, cast, 2)
    sandbox.quirk("unknown_filters_ignored")
    sandbox.quirk("users_without_groups")
    sandbox.quirk("forbidden_resources", resources=["report"])
    result = compat_check(connection_id=members_connection.pk)
    assert statuses(result)["groups"] == statuses(result)["read:report"] == compat.FAILED
    assert "permission to run reports" in compat.feature_off(result, "usergroups")
    assert not compat.feature_off(result, "members") and not compat.feature_off(result, "activity")


def test_phone_field_writes_keep_updated_at_an_opt_in_change_made_only_to_the_userfield_is_seen(
        sandbox, members_connection, cast):
    user = ak_user(sandbox, "early@example.org", phone="202-555-0150")
    with sqlite3.connect(sandbox.db_path) as db:  # Changed long before the poll's cursor and its overlap window.
        db.execute("UPDATE user SET updated_at = '2026-01-01T00:00:00.000000' WHERE id = ?", (user["id"],))
        db.execute("UPDATE userfield SET updated_at = '2026-01-01T00:00:00.000000' WHERE user_id = ?", (user["id"],))
    synced_people(sandbox, members_connection, cast, 2)  # Later users move the cursor past the early one.
    member = MemberLink.objects.get(connection=members_connection, ak_user_id=user["id"]).member
    assert member.sms_opt_in == Member.OptIn.OPTED_IN
    compat_check(connection_id=members_connection.pk)  # The report endpoint answers: field changes are read through SQL.
    sandbox.quirk("phone_field_writes_keep_updated_at")
    auth = (sandbox.username, sandbox.password)
    field = sandbox.http.get(f"{sandbox.base_url}/rest/v1/userfield/", params={"user": user["id"], "name": "sms_opt_in"},
                             auth=auth, timeout=10).json()["objects"][0]
    updated_at = sandbox.http.get(f"{sandbox.base_url}/rest/v1/user/{user['id']}/", auth=auth, timeout=10).json()[
        "updated_at"]
    put = sandbox.http.put(f"{sandbox.base_url}{field['resource_uri']}", json={"value": "no"}, auth=auth, timeout=10)
    assert put.status_code in (202, 204)
    assert sandbox.http.get(f"{sandbox.base_url}/rest/v1/user/{user['id']}/", auth=auth, timeout=10).json()[
        "updated_at"] == updated_at  # The quirk: the user row did not move, so the user scan cannot see it.
    assert users_poll(connection_id=members_connection.pk).status == "done"
    member.refresh_from_db()
    assert member.sms_opt_in == Member.OptIn.OPTED_OUT


def test_forbidden_resources_halt_only_the_feature_that_needs_the_resource(sandbox, members_connection, cast):
    synced_people(sandbox, members_connection, cast, 2)
    sandbox.seed(usergroups=1)
    sandbox.quirk("forbidden_resources", resources=["usergroup"])
    result = compat_check(connection_id=members_connection.pk)
    assert statuses(result)["read:usergroup"] == compat.FAILED
    assert "give the staff account permission to read usergroups" in compat.feature_off(result, "usergroups")
    assert users_poll(connection_id=members_connection.pk).status == "done"  # Member sync runs on.
    outcome = poll_connection(connection_id=members_connection.pk)
    assert outcome["usergroups"] is None and outcome["pages"] is not None  # Pages still pulled; usergroups off.
    members_connection.refresh_from_db()
    assert not members_connection.halted and members_connection.status != Connection.Status.ERROR


def test_a_resource_refused_at_run_time_stops_only_that_stream_and_names_the_permission(sandbox, members_connection, cast):
    synced_people(sandbox, members_connection, cast, 1)
    sandbox.quirk("forbidden_resources", resources=["phone"])  # No check ran since: the poll meets it first.
    outcome = users_poll(connection_id=members_connection.pk)
    assert outcome.status == "blocked" and "permission to read phone" in outcome.reason
    members_connection.refresh_from_db()
    assert not members_connection.halted  # Not read as bad credentials: the root still accepts the login.
    assert statuses(compat_result(members_connection))["read:phone"] == compat.FAILED
    assert users_poll(connection_id=members_connection.pk).status == "blocked"  # Until a new check passes.
    sandbox.quirks_off()
    compat_check(connection_id=members_connection.pk)
    assert users_poll(connection_id=members_connection.pk).status == "done"


def test_usergroups_without_id_ids_are_read_from_resource_uri(sandbox, members_connection, cast):
    synced_people(sandbox, members_connection, cast, 1)
    sandbox.seed(usergroups=3)
    sandbox.quirk("usergroups_without_id")
    result = compat_check(connection_id=members_connection.pk)
    assert statuses(result)["read:usergroup"] == compat.PASSED
    assert usergroups_refresh(connection=members_connection, client=client_for(members_connection)) == 3
    assert Usergroup.objects.filter(connection=members_connection, gone=False).count() == 3


def test_relative_locations_are_handled(sandbox, members_connection, cast):
    sandbox.quirk("relative_locations")
    synced_people(sandbox, members_connection, cast, 1)  # Activation creates the import page and reads its Location.
    page = client_for(members_connection).import_page_ensure(name="compat-relative", title="Relative")
    assert page["created"] and isinstance(page["id"], int)
    assert compat.FAILED not in statuses(compat_check(connection_id=members_connection.pk)).values()


def test_choosing_an_opt_in_field_that_does_not_exist_turns_off_member_sync_and_says_which_field(
        sandbox, members_connection, cast):
    synced_people(sandbox, members_connection, cast, 1)
    members_connection.refresh_from_db()  # As the Settings view loads it: active.
    settings_save(connection=members_connection, opt_in_field="sms_optin_typo", phone_types=["mobile"], create_users=False,
                  actor=cast.alice)  # The check runs again for the new field once this is saved.
    result = compat_result(Connection.objects.get(pk=members_connection.pk))
    assert statuses(result)["field:sms_optin_typo"] == compat.FAILED
    outcome = users_poll(connection_id=members_connection.pk)
    assert outcome.status == "blocked" and "add the user field “sms_optin_typo”" in outcome.reason
    assert not compat.feature_off(result, "usergroups")  # Only member sync depends on the opt-in field.


def test_the_overview_offers_check_now_before_any_check_and_check_again_after(sandbox, members_connection, cast):
    from django.urls import reverse

    overview = reverse("strive:detail", args=[cast.entity_a.slug])
    client = cast.client_for(cast.alice)
    before = client.get(overview).content.decode()
    assert "Not checked yet" in before and ">Check now</button>" in before and "Check again" not in before
    compat_check(connection_id=members_connection.pk)
    after = client.get(overview).content.decode()
    assert ">Check again</button>" in after and "Check now" not in after
