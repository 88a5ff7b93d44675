"""Pages: permissions, the connect form's checks and messages, settings, disconnect, retry, backfill and import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actblue.kind import KIND
from actionkit import errors
from integrations.models import AuditEvent, Backfill, Connection, Delivery
from tests.actblue import payloads
from tests.actblue.conftest import connect
from tests.actblue.payloads import parsed
from tests.fakes import FakeActionKitClient
from tests.imports import upload_and_run

pytestmark = pytest.mark.django_db
FORM = {"username": "staff", "password": "right-password", "host": "ak.example.org", "account": "",
        "notify_managed": ""}


def url(cast, name, **kw):
    return reverse(f"actblue:{name}", kwargs={"entity_slug": cast.entity_a.slug, **kw})


@pytest.fixture
def verifier(monkeypatch):
    """Credentials are checked by a fake ActionKit; hostnames resolve to a public address."""
    fake = FakeActionKitClient()

    def build(*, host, username, password):
        fake.password = password
        return fake

    monkeypatch.setattr("actionkit.verify.client_for_credentials", build)
    monkeypatch.setattr("actionkit.verify.check_hostname", lambda host: host.strip().lower())
    return fake


@pytest.mark.parametrize("name", ["connect", "detail", "contributions", "import"])
def test_it_hides_pages_from_staff_without_the_permission(cast, name):
    assert cast.client_for(cast.bob).get(url(cast, name)).status_code == 404
    assert cast.client_for(cast.carol).get(url(cast, name)).status_code == 200


def test_it_connects_after_verifying_and_says_so(cast, verifier):
    response = cast.client_for(cast.carol).post(url(cast, "connect"), FORM, follow=True)
    assert response.redirect_chain[-1][0] == url(cast, "detail")
    assert "Connected to ActionKit at ak.example.org" in response.content.decode()
    connection = Connection.objects.get(entity=cast.entity_a, kind=KIND)
    compat = connection.config.pop("ak_compat")  # The compatibility check ran beside the credential check.
    assert compat["checked_at"] and "probes" in compat
    assert connection.config == {"username": "staff", "account": "Default ActBlue", "notify_managed": False}
    assert connection.secrets == {"password": "right-password"} and connection.created_by == cast.carol
    assert "right-password" not in response.content.decode()


@pytest.mark.parametrize("setup, message", [
    (lambda f: None, "rejected that username or password"),
    (lambda f: f.fail_next_with.append(errors.ActionKitTimeout()), "Could not reach ActionKit"),
], ids=["wrong-password", "unreachable"])
def test_it_brings_the_form_back_on_bad_credentials(cast, verifier, setup, message):
    setup(verifier)
    password = "wrong" if message.startswith("rejected") else "right-password"
    response = cast.client_for(cast.alice).post(url(cast, "connect"), {**FORM, "password": password})
    assert response.status_code == 200 and message in response.content.decode()
    assert 'value="wrong"' not in response.content.decode()  # Password inputs are never re-filled.
    assert not Connection.objects.exists()


def test_it_refuses_unsafe_hostnames(cast):
    response = cast.client_for(cast.alice).post(url(cast, "connect"), {**FORM, "host": "169.254.169.254"})
    assert response.status_code == 200 and "not an IP address" in response.content.decode()
    assert not Connection.objects.exists()


def test_it_lets_two_entities_share_an_instance_under_different_accounts(cast, verifier):
    connect(cast.entity_b, account="Default ActBlue")
    response = cast.client_for(cast.alice).post(url(cast, "connect"), FORM)
    assert "Choose a different Account Name" in response.content.decode()
    response = cast.client_for(cast.alice).post(url(cast, "connect"), {**FORM, "account": "Entity A"})
    assert response.status_code == 302


def test_the_details_page_shows_status_setup_and_deliveries(world, fake_ak, django_capture_on_commit_callbacks):
    from actblue.services.ledger import contribution_record

    fake_ak.fail_next_with = [errors.ActionKitValidationError("bad", field_errors={"email": ["Bad email."]}, status_code=400)]
    with django_capture_on_commit_callbacks(execute=True):
        contribution_record(entity=world.cast.entity_a, data=parsed(payloads.contribution()))
    page = world.cast.client_for(world.cast.alice).get(url(world.cast, "detail")).content.decode()
    for text in ("Connected", "Integration setup", "Contributions, refunds, cancellations", "Not sent yet",
                 "Start a backfill", "actblue:contribution:123456789", "Failed permanently", "Bad email.", "Retry"):
        assert text in page, text


def test_retry_sends_a_dead_delivery_again(world, fake_ak, django_capture_on_commit_callbacks):
    from actblue.services.ledger import contribution_record

    fake_ak.fail_next_with = [errors.ActionKitNotFound(status_code=404)]
    with django_capture_on_commit_callbacks(execute=True):
        contribution_record(entity=world.cast.entity_a, data=parsed(payloads.contribution()))
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = world.cast.client_for(world.cast.carol).post(url(world.cast, "delivery-retry", delivery_id=delivery.pk))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert AuditEvent.objects.filter(action="delivery.retried", actor=world.cast.carol).exists()


def test_another_entitys_delivery_is_a_404(world, fake_ak):
    other = connect(world.cast.entity_b, account="B")
    delivery = Delivery.objects.create(connection=other, key="k", event_type="contribution", status="dead")
    response = world.cast.client_for(world.cast.alice).post(url(world.cast, "delivery-retry", delivery_id=delivery.pk))
    assert response.status_code == 404


def test_settings_edit_managed_forms_and_audit(world):
    client = world.cast.client_for(world.cast.alice)
    assert "Edit" in client.get(url(world.cast, "settings")).content.decode()
    assert "Save changes" in client.get(url(world.cast, "settings") + "?edit=managed").content.decode()
    response = client.post(url(world.cast, "settings"), {"send": "send"}, follow=True)
    assert "Saved. Managed forms: Send." in response.content.decode()
    world.connection_a.refresh_from_db()
    assert world.connection_a.config["notify_managed"] is True
    event = AuditEvent.objects.get(action="connection.settings_changed")
    assert event.actor == world.cast.alice and event.changes == {"notify_managed": [False, True]}


def test_disconnect_keeps_records_and_audits(world):
    client = world.cast.client_for(world.cast.alice)
    response = client.post(url(world.cast, "disconnect"), follow=True)
    assert "Disconnected." in response.content.decode() and "Not connected" in response.content.decode()
    world.connection_a.refresh_from_db()
    assert world.connection_a.status == Connection.Status.DISCONNECTED and world.connection_a.secrets == {}
    assert AuditEvent.objects.filter(action="connection.disconnected", actor=world.cast.alice).exists()
    assert client.get(url(world.cast, "settings")).status_code == 302  # Explained on the details page.


@pytest.mark.parametrize("data, error", [
    ({"mode": "new", "date_range": "custom", "date_from": "", "date_to": "2024-01-01"}, "Choose the first day"),
    ({"mode": "new", "date_range": "custom", "date_from": "2024-02-01", "date_to": "2024-01-01"}, "on or after"),
    ({"mode": "sometimes", "date_range": "all"}, "Select a valid choice"),
], ids=["missing-from", "reversed", "bad-mode"])
def test_the_backfill_form_validates(world, data, error):
    response = world.cast.client_for(world.cast.alice).post(url(world.cast, "backfill"), data)
    assert response.status_code == 200 and error in response.content.decode()
    assert not Backfill.objects.exists()


def test_the_backfill_page_starts_one_with_email_subscription_off_by_default(world):
    client = world.cast.client_for(world.cast.alice)
    page = client.get(url(world.cast, "backfill")).content.decode()
    assert 'name="email_subscription"' in page and "checked" not in page.split('name="email_subscription"')[1][:40]
    response = client.post(url(world.cast, "backfill"), {"mode": "all", "date_range": "custom", "date_from": "2023-01-01",
                                                         "date_to": "2023-12-31"}, follow=True)
    backfill = Backfill.objects.get()
    assert backfill.params == {"mode": "all", "email_subscription": False, "date_from": "2023-01-01",
                               "date_to": "2023-12-31"}
    assert "Backfill started" in response.content.decode()
    assert reverse("actblue:backfill-progress", args=[world.cast.entity_a.slug, backfill.pk]) in response.content.decode()
    progress = client.get(url(world.cast, "backfill-progress", backfill_id=backfill.pk)).json()
    assert {"percent", "sent", "total", "eta_seconds", "status_label", "done"} <= set(progress)
    client.post(url(world.cast, "backfill-cancel", backfill_id=backfill.pk))
    backfill.refresh_from_db()
    assert backfill.status == Backfill.Status.CANCELLED


def test_the_import_page_reports_bad_lines(world):
    upload = SimpleUploadedFile("paid.csv", (payloads.FIXTURES / "paid.csv").read_bytes(), content_type="text/csv")
    _, job, page = upload_and_run(world.cast.client_for(world.cast.carol), url(world.cast, "import"),
                                  {"kind": "paid", "file": upload})
    assert (job.rows_recorded, job.rows_existing, job.rows_failed) == (2, 0, 2)
    assert 'data-label="Line">3</td>' in page.content.decode()
    contributions = world.cast.client_for(world.cast.carol).get(url(world.cast, "contributions")).content.decode()
    assert "AB100" in contributions and "AB102" in contributions
