"""Phones in many formats become one E.164 value: one member per person, one ActionKit user per member."""

import pytest

from strive.models import Member, MemberLink, ScannedUser
from strive.phones import phone_pick, phone_to_e164
from strive.services.activation import sync_activate
from strive.services.imports import members_import_csv
from strive.services.members import MemberInput, MemberInvalid, member_upsert
from strive.services.sync import member_sync_from_ak_user, users_sync_batch
from tests.strive.conftest import ak_user

SAME_PERSON = ["(202) 555-0101", "202-555-0101", "202.555.0101", "2025550101", "+1 202 555 0101", "1-202-555-0101",
               "+1 (202) 555-0101", "12025550101", " 202 555 0101 "]


@pytest.mark.parametrize("raw", SAME_PERSON)
def test_us_formats_normalize_to_one_value(raw):
    assert phone_to_e164(raw) == "+12025550101"


@pytest.mark.parametrize(("raw", "expected"), [("+44 20 7946 0958", "+442079460958"), ("0044 20 7946 0958", "+442079460958"),
                                               ("+33 1 42 68 53 00", "+33142685300"), ("+61 2 9374 4000", "+61293744000")])
def test_international_formats(raw, expected):
    assert phone_to_e164(raw) == expected


@pytest.mark.parametrize("raw", ["", "555-0101", "not a phone", "+1 000 000 0000", "12345"])
def test_non_numbers_are_refused(raw):
    assert phone_to_e164(raw) is None


def test_phone_pick_follows_the_preferred_order():
    phones = [{"type": "home", "phone": "415-555-0102"}, {"type": "work", "phone": "bad"},
              {"type": "mobile", "phone": "202-555-0101"}]
    assert phone_pick(phones, ["mobile", "work", "home"]) == "+12025550101"
    assert phone_pick(phones, ["work", "home"]) == "+14155550102"  # An invalid work number is passed over.
    assert phone_pick(phones, ["work"]) is None


@pytest.mark.django_db
def test_members_upsert_in_any_format_is_one_member(cast):
    for raw in SAME_PERSON:
        member_upsert(entity=cast.entity_a, data=MemberInput(phone=raw, first_name="Mary"))
    assert Member.objects.filter(entity=cast.entity_a).count() == 1
    member_upsert(entity=cast.entity_b, data=MemberInput(phone="202-555-0101"))  # Unique per entity only.
    assert Member.objects.count() == 2
    with pytest.raises(MemberInvalid):
        member_upsert(entity=cast.entity_a, data=MemberInput(phone="555-0101"))


@pytest.mark.django_db
def test_csv_import_keeps_good_rows_and_reports_bad_lines(cast):
    csv = (b"phone,first_name,email,sms_opt_in,zip\n"
           b"(202) 555-0101,Mary,mary@example.org,yes,90210\n"
           b"not-a-phone,Bad,bad@example.org,yes,\n"
           b"+1 202 555 0101,Mary again,,,\n"
           b"415.555.0102,Luis,luis@example.org,maybe,\n"
           b"415.555.0103,Ana,not-an-email,no,\n"
           b"312-555-0104,Chen,,no,60601\n")
    report = members_import_csv(entity=cast.entity_a, raw=csv)
    assert (report.created, report.updated) == (2, 1)
    assert [line for line, _ in report.errors] == [3, 5, 6]
    assert "phone" in report.errors[0][1] and "maybe" in report.errors[1][1] and "email" in report.errors[2][1]
    mary = Member.objects.get(entity=cast.entity_a, phone="+12025550101")
    assert (mary.first_name, mary.state, mary.sms_opt_in) == ("Mary again", "CA", "opted_in")
    assert Member.objects.get(phone="+13125550104").state == "IL"  # The zip sets the state.


@pytest.mark.django_db
def test_csv_without_phone_column_or_not_utf8(cast):
    assert members_import_csv(entity=cast.entity_a, raw=b"name\nx\n").errors[0][0] == 1
    assert "UTF-8" in members_import_csv(entity=cast.entity_a, raw="phone\n\xff".encode("latin-1")).errors[0][1]


@pytest.mark.django_db(transaction=True)
def test_users_sharing_a_phone_sync_once_and_the_rest_are_reported(members_connection, sandbox, cast):
    existing, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="202.555.0101"))
    first = ak_user(sandbox, "first@example.org", phone="(202) 555-0101")
    second = ak_user(sandbox, "second@example.org", phone="+1 202 555 0101", phone_type="work")
    third = ak_user(sandbox, "third@example.org", phone="2025550101", phone_type="home")
    sync_activate(connection=members_connection, actor=cast.alice)
    assert MemberLink.objects.filter(connection=members_connection).count() == 1
    link = MemberLink.objects.get(connection=members_connection)
    assert link.member == existing and link.ak_user_id == first["id"]
    for user in (second, third):
        row = ScannedUser.objects.get(connection=members_connection, ak_user_id=user["id"])
        assert row.status == "skipped" and "Duplicate phone +12025550101" in row.reason
    assert Member.objects.filter(entity=cast.entity_a).count() == 1


@pytest.mark.django_db(transaction=True)
def test_duplicates_inside_one_batch_and_the_service_for_page_actions(members_connection, cast):
    users = [{"id": 901, "email": "a@example.org", "fields": {"sms_opt_in": "yes"}, "updated_at": "2026-01-01T00:00:00"},
             {"id": 902, "email": "b@example.org", "fields": {"sms_opt_in": "no"}, "updated_at": "2026-01-01T00:00:01"}]
    result = users_sync_batch(connection=members_connection, users=users,
                              phones={901: [{"id": 1, "type": "mobile", "phone": "646 555 0104"}],
                                      902: [{"id": 2, "type": "mobile", "phone": "+1-646-555-0104"}]})
    assert (result.synced, result.skipped) == (1, 1)
    member = member_sync_from_ak_user(connection=members_connection, user={**users[0], "first_name": "Ann"},
                                      phones=[{"id": 1, "type": "mobile", "phone": "646 555 0104"}])
    assert member is not None and member.phone == "+16465550104" and member.first_name == "Ann"
    assert member_sync_from_ak_user(connection=members_connection, user={"id": 903, "email": "c@example.org", "fields": {}},
                                    phones=[{"id": 3, "type": "mobile", "phone": "646 555 0105"}]) is None
