"""Members CSV uploads run as background jobs; a re-upload finds every row already recorded without writing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from integrations.models import AuditEvent, ImportJob
from strive.models import Member
from tests.imports import upload_and_run

pytestmark = pytest.mark.django_db
MEMBERS = "phone,first_name,email\n" + "".join(f"202-555-{n:04d},Name{n},m{n}@example.org\n" for n in range(300))


def upload(cast, data: bytes):
    url = reverse("strive:member-import", kwargs={"entity_slug": cast.entity_a.slug})
    return upload_and_run(cast.client_for(cast.alice), url, {"file": SimpleUploadedFile("members.csv", data)})


def test_a_re_upload_says_already_recorded_and_changes_nothing(cast):
    response, first, page = upload(cast, MEMBERS.encode())
    assert page.status_code == 200 and (first.status, first.rows_recorded, first.rows_existing) == ("done", 300, 0)
    edits = AuditEvent.objects.filter(entity=cast.entity_a, action__startswith="member.").count()
    _, again, _ = upload(cast, MEMBERS.encode())
    assert (again.rows_recorded, again.rows_existing, again.rows_failed) == (0, 300, 0)
    assert AuditEvent.objects.filter(entity=cast.entity_a, action__startswith="member.").count() == edits
    assert Member.objects.filter(entity=cast.entity_a).count() == 300


def test_a_changed_row_is_recorded_and_the_rest_already_recorded(cast):
    upload(cast, MEMBERS.encode())
    _, job, _ = upload(cast, MEMBERS.replace("Name7,", "Seven,").encode())
    assert (job.rows_recorded, job.rows_existing) == (1, 299)
    assert Member.objects.get(entity=cast.entity_a, phone="+12025550007").first_name == "Seven"


@pytest.mark.parametrize("data, words", [(b"name,email\nx,y\n", "“phone” column"),
                                         ("phone\n\xff".encode("latin-1"), "not UTF-8"),
                                         (b"PK\x03\x04rest", "spreadsheet")])
def test_a_bad_file_is_a_400_and_nothing_is_queued(cast, data, words):
    url = reverse("strive:member-import", kwargs={"entity_slug": cast.entity_a.slug})
    with TestCase.captureOnCommitCallbacks() as callbacks:
        response = cast.client_for(cast.alice).post(url, {"file": SimpleUploadedFile("m.csv", data)})
    assert response.status_code == 400 and words in response.content.decode()
    assert not ImportJob.objects.exists() and callbacks == []


def test_the_job_page_links_back_to_the_members_import(cast):
    _, job, page = upload(cast, MEMBERS.encode())
    assert reverse("strive:member-import", kwargs={"entity_slug": cast.entity_a.slug}) in page.content.decode()
    listing = cast.client_for(cast.alice).get(reverse("strive:member-import", kwargs={"entity_slug": cast.entity_a.slug}))
    assert "Recent imports" in listing.content.decode()
