"""The pages, through Django's test client: connect, fields, settings and activation, users, members, groups."""

import pytest
from django.urls import reverse

from integrations.models import AuditEvent, Connection
from strive.models import CustomField, FieldMapping, Group, Member, ScannedUser
from strive.services.members import MemberInput, member_upsert
from tests.imports import upload_and_run
from tests.plugins.tenants import assert_hidden_from_outsiders
from tests.strive.conftest import ak_user

pytestmark = pytest.mark.django_db(transaction=True)


def url(name, cast, **kw):
    return reverse(name, kwargs={"entity_slug": cast.entity_a.slug, **kw})


def test_connect_verifies_before_saving(cast, sandbox):
    client = cast.client_for(cast.carol)  # Staff with the Integrations permission.
    bad = client.post(url("strive:connect", cast), {"host": sandbox.host, "username": sandbox.username, "password": "wrong"})
    assert bad.status_code == 200 and "rejected that username or password" in bad.content.decode()
    assert not Connection.objects.exists()
    unsafe = client.post(url("strive:connect", cast), {"host": "10.0.0.1", "username": "u", "password": "p"})
    assert "Enter your instance&#x27;s public hostname" in unsafe.content.decode() and not Connection.objects.exists()
    ok = client.post(url("strive:connect", cast), {"host": sandbox.host, "username": sandbox.username,
                                                    "password": sandbox.password})
    assert ok.status_code == 302 and ok["Location"] == url("strive:fields", cast)
    connection = Connection.objects.get(entity=cast.entity_a, kind="strive_actionkit")
    assert connection.secrets == {"password": sandbox.password} and connection.config["username"] == sandbox.username
    page = client.get(url("strive:connect", cast)).content.decode()
    assert sandbox.password not in page  # The password input is never re-filled.
    assert cast.client_for(cast.bob).get(url("strive:connect", cast)).status_code == 404  # No Integrations permission.


def test_fields_tab_core_defaults_option_change_and_custom_field(cast, members_connection):
    client = cast.client_for(cast.alice)
    page = client.get(url("strive:fields", cast)).content.decode()
    for label in ("First Name", "Last Name", "Email", "City", "State", "Zipcode"):
        assert label in page
    assert set(FieldMapping.objects.filter(connection=members_connection).values_list("sync_option", flat=True)) == {
        "populate_no_overwrite"}
    email = FieldMapping.objects.get(connection=members_connection, member_field="email")
    refused = client.post(url("strive:field-option", cast, mapping_id=email.pk), {"sync_option": "two_way"}, follow=True)
    assert "Email can only use" in refused.content.decode()
    assert FieldMapping.objects.get(pk=email.pk).sync_option == "populate_no_overwrite"
    city = FieldMapping.objects.get(connection=members_connection, member_field="city")
    client.post(url("strive:field-option", cast, mapping_id=city.pk), {"sync_option": "two_way"})
    assert FieldMapping.objects.get(pk=city.pk).sync_option == "two_way"
    assert AuditEvent.objects.filter(action="strive.field_option_changed", target="city").exists()

    CustomField.objects.create(entity=cast.entity_a, name="favorite_issue", label="Favorite issue")
    CustomField.objects.create(entity=cast.entity_a, name="age", label="Age", field_type="number")
    page = client.get(url("strive:fields", cast) + "?add=1").content.decode()
    assert "Favorite issue" in page and ">Age<" not in page  # Only text fields can be picked.
    added = client.post(url("strive:fields", cast), {"member_field": "favorite_issue", "ak_field": "employer",
                                                     "sync_option": "two_way"})
    assert added.status_code == 302
    mapping = FieldMapping.objects.get(connection=members_connection, member_field="favorite_issue")
    assert (mapping.ak_field, mapping.is_core, mapping.sync_option) == ("employer", False, "two_way")
    not_a_userfield = client.post(url("strive:fields", cast), {"member_field": "favorite_issue", "ak_field": "nope",
                                                               "sync_option": "two_way"})
    assert not_a_userfield.status_code == 200 and FieldMapping.objects.filter(connection=members_connection).count() == 7


SETTINGS = {"opt_in_field": "sms_opt_in", "phone_1": "home", "phone_2": "mobile", "phone_3": "", "create_users": "on"}


@pytest.fixture
def activated(cast, members_connection, sandbox):
    """Ann (with a phone) and Bo (without one) in ActionKit, the settings saved, Sync Accounts on: alice's client."""
    ak_user(sandbox, "ann@example.org", first_name="Ann", phone="202-555-0101")
    ak_user(sandbox, "bo@example.org", first_name="Bo", phone=None)
    client = cast.client_for(cast.alice)
    assert client.post(url("strive:settings", cast), SETTINGS).status_code == 302
    client.post(url("strive:sync-toggle", cast), {"sync_accounts": "on"})
    return client


def test_settings_save_the_phone_types_and_create_users(cast, members_connection):
    saved = cast.client_for(cast.alice).post(url("strive:settings", cast), SETTINGS)
    assert saved.status_code == 302
    members_connection.refresh_from_db()
    assert members_connection.config["phone_types"] == ["home", "mobile"] and members_connection.config["create_users"] is True


def test_settings_need_at_least_one_phone_type(cast, members_connection):
    none_picked = cast.client_for(cast.alice).post(url("strive:settings", cast), {
        "opt_in_field": "sms_opt_in", "phone_1": "", "phone_2": "", "phone_3": ""})
    assert "at least one phone type" in none_picked.content.decode()


def test_activation_reports_progress_and_makes_the_primary_group(cast, activated):
    progress = activated.get(url("strive:progress", cast)).json()
    assert (progress["synced"], progress["total"], progress["done"]) == (1, 2, True)
    assert Group.objects.get(entity=cast.entity_a, kind="primary").name == "ActionKit Integration"


def test_the_overview_and_settings_tabs_show_the_sync(cast, activated):
    overview = activated.get(url("strive:detail", cast)).content.decode()
    assert "Sync progress" in overview and "Recent pushes to ActionKit" in overview
    settings_page = activated.get(url("strive:settings", cast)).content.decode()
    assert "Initial sync finished" in settings_page and "Turn Sync Accounts off" in settings_page


def test_the_users_tab_lists_searches_and_filters_the_scanned_users(cast, activated):
    users = activated.get(url("strive:users", cast)).content.decode()
    assert "ann@example.org" in users and "bo@example.org" in users and "No valid phone number" in users
    found = activated.get(url("strive:users", cast) + "?q=ann").content.decode()
    assert "ann@example.org" in found and "bo@example.org" not in found
    skipped = activated.get(url("strive:users", cast) + "?status=skipped&sort=-email").content.decode()
    assert "bo@example.org" in skipped and "ann@example.org" not in skipped


def test_the_primary_group_cannot_be_deleted_while_syncing(cast, activated):
    groups = activated.get(url("strive:groups", cast)).content.decode()
    assert "managed by the active ActionKit integration" in groups
    primary = Group.objects.get(kind="primary")
    activated.post(url("strive:group-delete", cast, group_id=primary.pk))
    assert Group.objects.filter(pk=primary.pk).exists()


def test_turning_sync_off_removes_the_credentials_and_keeps_the_data(cast, activated, members_connection):
    activated.post(url("strive:sync-toggle", cast), {"sync_accounts": "off"})
    members_connection.refresh_from_db()
    assert members_connection.secrets == {} and not members_connection.is_active
    assert ScannedUser.objects.filter(connection=members_connection).count() == 2  # Data stays.


def test_turning_sync_on_again_asks_for_the_credentials(cast, activated):
    activated.post(url("strive:sync-toggle", cast), {"sync_accounts": "off"})
    again = activated.post(url("strive:sync-toggle", cast), {"sync_accounts": "on"})
    assert again["Location"] == url("strive:connect", cast)  # Credentials are needed again.


def test_members_list_filters_and_search(cast):
    member_upsert(entity=cast.entity_a, data=MemberInput(phone="202-555-0101", first_name="Mary", last_name="Smith",
                                                         email="mary@example.org", source="csv"))
    luis, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="415-555-0102", first_name="Luis",
                                                                   email="luis@example.org", source="api"))
    member_upsert(entity=cast.entity_b, data=MemberInput(phone="312-555-0103", first_name="Other", source="csv"))
    group = Group.objects.create(entity=cast.entity_a, name="Volunteers")
    group.memberships.create(member=luis)
    client = cast.client_for(cast.bob)  # Any member of the entity may see its members.
    base = url("strive:members", cast)
    assert "Mary" in client.get(base).content.decode() and "Other" not in client.get(base).content.decode()
    assert "Luis" not in client.get(base + "?source=csv").content.decode()
    by_group = client.get(f"{base}?group={group.pk}").content.decode()
    assert "Luis" in by_group and "Mary" not in by_group
    for q in ("mary smith", "(202) 555-0101", "MARY@example", "555-0101"):
        page = client.get(base, {"q": q}).content.decode()
        assert "Mary" in page and "Luis" not in page, q


def test_member_pages_are_hidden_from_other_entities(cast):
    member, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="202-555-0101"))
    assert_hidden_from_outsiders(cast, url("strive:member", cast, member_id=member.pk))
    assert cast.client_for(cast.alice).get(url("strive:member", cast, member_id=member.pk)).status_code == 200
    other, _ = member_upsert(entity=cast.entity_b, data=MemberInput(phone="202-555-0101"))
    assert cast.client_for(cast.alice).get(url("strive:member", cast, member_id=other.pk)).status_code == 404


def test_member_edit_and_csv_import_pages(cast):
    client = cast.client_for(cast.alice)
    created = client.post(url("strive:member-add", cast), {"phone": "+1 202 555 0101", "first_name": "Mary",
                                                           "sms_opt_in": "opted_in", "zip": "10001"})
    member = Member.objects.get(entity=cast.entity_a)
    assert created.status_code == 302 and member.state == "NY"
    bad = client.post(url("strive:member-add", cast), {"phone": "12", "sms_opt_in": "opted_in"})
    assert "not a phone number" in bad.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("m.csv", b"phone,first_name\n202-555-0101,Mae\nxx,Bad\n", content_type="text/csv")
    _, job, page = upload_and_run(client, url("strive:member-import", cast), {"file": upload})
    assert (job.rows_recorded, job.rows_existing, job.rows_failed) == (1, 0, 1)
    assert 'data-label="Line">3</td>' in page.content.decode()
    member.refresh_from_db()
    assert member.first_name == "Mae"
