"""Members: bad input is a 400 (API) or a reported line (CSV) naming the problem, the same problem the same way;
each case here was a 500 before its fix."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from integrations.models import Connection
from strive import selectors
from strive.models import CustomField, Member, ScannedUser
from strive.services.imports import members_import_csv
from tests.imports import row_errors, upload_and_run

pytestmark = pytest.mark.django_db
NUL = "Null characters are not allowed."


def _post_member(api, body: dict):
    return api.post("/api/v1/members/", json.dumps(body), content_type="application/json")


def _import(cast, text: str) -> list[tuple[int, str]]:
    """The CSV import page, as a person uses it, and its job run to the end; returns the (line, reason) rows."""
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    response, job, _ = upload_and_run(cast.client_for(cast.alice),
                                      reverse("strive:member-import", kwargs={"entity_slug": cast.entity_a.slug}),
                                      {"file": upload})
    assert response.status_code == 302 and job.status == "done"
    return row_errors(job)


@pytest.mark.parametrize("field, value", [("phone", "202-555-0101\x00"), ("first_name", "Ma\x00ry"),
                                          ("email", "mary@example.org\x00"), ("zip", "\x0060601")])
def test_a_nul_byte_gets_the_same_answer_from_the_api_and_the_csv_import(api, cast, field, value):
    # phonenumbers reads "202-555-0101\x00" as a valid number, so the CSV used to take it (or 500 on PostgreSQL).
    body = {"phone": "202-555-0101", field: value}
    response = _post_member(api, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field] and NUL in response.json()["errors"][field]
    header = "phone" if field == "phone" else f"phone,{field}"
    row = ",".join(body[name] for name in header.split(","))
    assert _import(cast, f"{header}\n{row}\n") == [(2, f"{field}: {NUL}")]
    assert not Member.objects.exists()


def test_a_nul_byte_in_a_custom_field_is_refused_by_both(api, cast):
    CustomField.objects.create(entity=cast.entity_a, name="team", label="Team")
    response = _post_member(api, {"phone": "202-555-0101", "custom_fields": {"team": "no\x00rth"}})
    assert response.status_code == 400 and response.json()["errors"] == {"custom_fields": {"team": [NUL]}}
    assert _import(cast, "phone,team\n202-555-0101,no\x00rth\n") == [(2, f"team: {NUL}")]
    assert not Member.objects.exists()


def test_a_nul_byte_in_a_column_the_import_ignores_does_not_refuse_the_row(cast):
    assert _import(cast, "phone,notes\n202-555-0101,a\x00b\n") == []
    assert Member.objects.filter(entity=cast.entity_a).count() == 1


@pytest.mark.parametrize("name, reason", [("a\x00b", NUL), ("\ud800", "Surrogate characters are not allowed: U+D800.")])
def test_a_custom_field_name_that_no_database_can_store_is_a_400(api, cast, name, reason):
    body = json.dumps({"phone": "202-555-0101", "custom_fields": {name: "x"}})  # Escapes it: "\ud800" is valid JSON.
    response = api.post("/api/v1/members/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"custom_fields": [f"Field name: {reason}"]}
    member = Member.objects.create(entity=cast.entity_a, phone="+12025550101")
    patched = api.patch(f"/api/v1/members/{member.pk}/", body, content_type="application/json")
    assert patched.status_code == 400 and Member.objects.get(pk=member.pk).custom_fields == {}


@pytest.mark.parametrize("zip_code", ["²²²²²", "٩٠٢١٠"])
def test_a_zip_of_digits_that_are_not_ascii_is_kept_without_a_state(api, cast, zip_code):
    # str.isdigit() is true for both, and int("²²²") raises: the API, the CSV import and the forms all 500ed.
    response = _post_member(api, {"phone": "202-555-0101", "zip": zip_code, "state": "DC"})
    assert response.status_code == 201, response.content
    assert (response.json()["zip"], response.json()["state"]) == (zip_code, "DC")
    assert _import(cast, f"phone,zip\n415-555-0102,{zip_code}\n") == []


def test_a_csv_field_over_the_csv_limit_is_reported_and_earlier_rows_kept(cast):
    report = members_import_csv(entity=cast.entity_a, raw=f"phone,first_name\n202-555-0101,Mary\n415-555-0102,"
                                                          f"{'x' * 200_000}\n".encode())
    assert report.created == 1
    assert len(report.errors) == 1 and "not readable CSV" in report.errors[0][1]


def test_keyset_and_id_searches_ignore_ids_that_cannot_exist(cast):
    """The member list's `before`, the Users tab's numeric search: "²" and out-of-range ids used to 500."""
    member = Member.objects.create(entity=cast.entity_a, phone="+12025550101")
    connection = Connection.objects.create(entity=cast.entity_a, kind="strive_actionkit", host="ak.example.org")
    ScannedUser.objects.create(connection=connection, ak_user_id=7, status=ScannedUser.Status.SYNCED)
    for before in ("²", "٣", str(10**30), "9" * 5000):
        assert selectors.keyset_page(Member.objects.filter(entity=cast.entity_a), before=before)[0] == [member]
        assert list(selectors.scanned_user_search(connection=connection, q=before)) == []
    page = cast.client_for(cast.alice).get(reverse("strive:members", kwargs={"entity_slug": cast.entity_a.slug}),
                                           {"before": "²"})
    assert page.status_code == 200 and member.phone in page.content.decode()


def test_a_search_holding_a_nul_byte_matches_nothing(cast):
    """PostgreSQL raises when text is compared with a NUL, so the member, Users, Pages and Actions searches 500ed."""
    from strive.activity import selectors as activity

    Member.objects.create(entity=cast.entity_a, phone="+12025550101", first_name="Mary")
    connection = Connection.objects.create(entity=cast.entity_a, kind="strive_actionkit", host="ak.example.org")
    ScannedUser.objects.create(connection=connection, ak_user_id=7, status=ScannedUser.Status.SYNCED, first_name="Mary")
    assert list(selectors.member_search(entity=cast.entity_a, q="Ma\x00ry")) == []
    assert list(selectors.member_search(entity=cast.entity_a, source="a\x00")) == []
    assert list(selectors.scanned_user_search(connection=connection, q="Ma\x00ry")) == []
    assert list(activity.page_list(connection=connection, q="\x00")) == []
    assert list(activity.action_list(connection=connection, q="\x00")) == []
    assert [m.first_name for m in selectors.member_search(entity=cast.entity_a, q="Mary")] == ["Mary"]
