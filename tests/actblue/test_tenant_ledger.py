"""The contributions ledger as an attacker tries it: tenant A sends B's numbers through every way in.

The cast (tests/plugins/tenants.py): alice runs entity A, charlie runs entity B. Both are connected to ActionKit
(a fake that records every notification per connection). Every test first lets B record its own gifts, then
has A send B's form name, order number, line item id or ActBlue entityId through the API, a CSV import, ActBlue's
webhook or the demo, and then checks, as B would: B's rows are unchanged, B's pages show nothing of A's and A's
show nothing of B's, nothing of A's reached B's ActionKit, no message names B's data, and no Entity was created.
"""

import base64
import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from actblue.models import Contribution, Form, LineItem
from actblue.services.connecting import managed_forms_set
from actblue.services.profile import webhook_credentials_create
from integrations.models import Delivery, Entity
from integrations.services.api_keys import api_credential_create
from tests.actblue import payloads
from tests.actblue.payloads import ENTITY_A_ID, ENTITY_B_ID
from tests.imports import upload_and_run

pytestmark = pytest.mark.django_db

CSV_COLUMNS = ["Receipt ID", "Date", "Amount", "Recurring Total Months", "Recurrence Number", "Recipient",
               "Recipient ID", "Fundraising Page", "Donor First Name", "Donor Last Name", "Donor Email", "Donor ZIP",
               "Payment Date", "Lineitem ID"]


def csv_text(body: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for item in body["lineitems"]:
        writer.writerow({"Receipt ID": body["contribution"]["orderNumber"], "Date": "2023-06-07 15:49:32",
                         "Amount": item["amount"], "Recurring Total Months": "1", "Recurrence Number": "1",
                         "Recipient": item["committeeName"], "Recipient ID": item["entityId"],
                         "Fundraising Page": body["form"]["name"], "Donor First Name": body["donor"]["firstname"],
                         "Donor Last Name": body["donor"]["lastname"], "Donor Email": body["donor"]["email"],
                         "Donor ZIP": body["donor"]["zip"], "Payment Date": "2023-06-07 15:49:33",
                         "Lineitem ID": item["lineitemId"]})
    return out.getvalue()


class Ways:
    """Every way a tenant's body gets in, each authenticated as that tenant alone."""

    def __init__(self, cast):
        self.cast = cast
        self._api, self._hooks = {}, {}

    def api(self, entity, body):
        if entity.pk not in self._api:
            _, key = api_credential_create(entity=entity, name="relay", actor=None)
            self._api[entity.pk] = APIClient()
            self._api[entity.pk].credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        response = self._api[entity.pk].post("/api/v1/actblue/notifications/", body, format="json")
        return response.status_code, response.content.decode()

    def webhook(self, entity, body):
        if entity.pk not in self._hooks:
            profile, password = webhook_credentials_create(entity=entity, actor=None)
            auth = base64.b64encode(f"{profile.webhook_username}:{password}".encode()).decode()
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Basic {auth}")
            self._hooks[entity.pk] = (client, reverse("actblue-hooks:webhook", args=[profile.webhook_token]))
        client, url = self._hooks[entity.pk]
        response = client.post(url, body, format="json")
        return response.status_code, response.content.decode()

    def csv(self, entity, body):
        admin = self.cast.alice if entity == self.cast.entity_a else self.cast.charlie
        upload = io.BytesIO(csv_text(body).encode())
        upload.name = "paid.csv"
        response, job, page = upload_and_run(self.cast.client_for(admin), reverse(
            "actblue:import", kwargs={"entity_slug": entity.slug}), {"kind": "paid", "file": upload})
        assert job is not None and job.status == "done", response.content.decode()
        return page.status_code, page.content.decode()


WAYS = ["api", "webhook", "csv"]


@pytest.fixture
def ways(world):
    return Ways(world.cast)


@pytest.fixture
def b_connected(world):
    connection = world.connect_b()
    return connection


def send(ways, way, entity, body):
    status, text = getattr(ways, way)(entity, body)
    assert status < 500, text
    return status, text


def b_snapshot(cast) -> list:
    rows = [list(Contribution.objects.filter(entity=cast.entity_b).order_by("pk").values()),
            list(LineItem.objects.filter(entity=cast.entity_b).order_by("pk").values()),
            list(Form.objects.filter(entity=cast.entity_b).order_by("pk").values())]
    return rows


def page(cast, user, entity) -> str:
    return cast.client_for(user).get(reverse("actblue:contributions", kwargs={"entity_slug": entity.slug})).content.decode()


def notified(fake_ak, account: str) -> list[int]:
    return sorted(call["notification"]["lineitems"][0]["lineitemId"] for call in fake_ak.calls
                  if call["account"] == account)


def b_gift(n: int, **kw) -> dict:
    kw.setdefault("recipients", (ENTITY_B_ID,))
    return payloads.contribution(lineitem_id=9200000 + n, order=f"B-{n:04d}", form="beta-spring",
                                 email=f"b-donor-{n}@example.org", **kw)


@pytest.mark.parametrize("way", WAYS)
def test_a_squatted_form_name_shows_and_sends_nothing_of_b(world, ways, b_connected, fake_ak, django_capture_on_commit_callbacks, way):
    cast = world.cast
    managed_forms_set(connection=world.connection_a, send=True, actor=None)  # A widens what its ActionKit hears.
    with django_capture_on_commit_callbacks(execute=True):
        send(ways, way, cast.entity_a, payloads.contribution(lineitem_id=1, order="A-0001", form="beta-spring",
                                                             recipients=(ENTITY_B_ID,)))
        send(ways, "api", cast.entity_b, b_gift(1))
        send(ways, "api", cast.entity_b, b_gift(2))
    assert "9200001" not in page(cast, cast.alice, cast.entity_a) and "B-0001" not in page(cast, cast.alice, cast.entity_a)
    assert "9200001" in page(cast, cast.charlie, cast.entity_b)
    assert Form.objects.filter(name="beta-spring").count() == 2  # One each, neither shared.
    assert notified(fake_ak, "Default ActBlue") == [1]  # A's ActionKit: only what A itself recorded.
    assert notified(fake_ak, "Entity B") == [9200001, 9200002]


@pytest.mark.parametrize("way", WAYS)
def test_a_reused_order_number_reveals_no_donor_and_no_conflict(world, ways, b_connected, fake_ak, way):
    cast = world.cast
    send(ways, "api", cast.entity_b, b_gift(1))
    send(ways, "api", cast.entity_b, b_gift(2))
    before = b_snapshot(cast)
    status, text = send(ways, way, cast.entity_a, payloads.contribution(
        lineitem_id=777, order="B-0002", recipients=(ENTITY_A_ID,), email="a-donor@example.org"))
    assert status in (200, 201)
    # The line item id of B's B-0001 under A's key is a new line item in A's ledger, not a pointer to B's order.
    status, text2 = send(ways, way, cast.entity_a, payloads.contribution(
        lineitem_id=9200001, order="A-0009", recipients=(ENTITY_A_ID,), email="a-donor@example.org"))
    assert status in (200, 201)
    for answer in (text, text2):
        assert "another entity" not in answer and "B-0001" not in answer and "b-donor" not in answer
    assert "B-0001" not in page(cast, cast.alice, cast.entity_a)
    assert b_snapshot(cast) == before
    assert LineItem.objects.get(entity=cast.entity_a, lineitem_id=9200001).contribution.order_number == "A-0009"


@pytest.mark.parametrize("way", WAYS)
def test_bs_entity_id_in_as_body_stays_in_as_ledger_and_never_reaches_b(world, ways, b_connected, fake_ak,
                                                                        django_capture_on_commit_callbacks, way):
    cast = world.cast
    managed_forms_set(connection=b_connected, send=True, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        send(ways, way, cast.entity_a, payloads.contribution(lineitem_id=31, order="A-0031", form="beta-spring",
                                                             recipients=(ENTITY_B_ID,), email="forged@example.org"))
    assert not LineItem.objects.filter(entity=cast.entity_b).exists()
    assert notified(fake_ak, "Entity B") == []
    assert not Delivery.objects.filter(connection=b_connected).exists()
    assert "A-0031" not in page(cast, cast.charlie, cast.entity_b)


@pytest.mark.parametrize("way", WAYS)
def test_unknown_entity_ids_create_no_entity(world, ways, way):
    cast = world.cast
    entities = sorted(Entity.objects.values_list("slug", flat=True))
    body = payloads.contribution(lineitem_id=40000, order="A-0040", recipients=tuple(30000 + i for i in range(50)))
    if way == "csv":
        body = payloads.contribution(lineitem_id=40000, order="A-0040", recipients=(30001,))
    send(ways, way, cast.entity_a, body)
    assert sorted(Entity.objects.values_list("slug", flat=True)) == entities
    assert LineItem.objects.filter(entity=cast.entity_a).exists()


def test_a_real_organization_that_joins_later_starts_with_its_own_empty_ledger(world, ways, fake_ak):
    cast = world.cast
    send(ways, "api", cast.entity_a, payloads.contribution(lineitem_id=50, order="A-0050", recipients=(66666,)))
    newcomer = Entity.objects.create(name="Newcomer", slug="newcomer")
    send(ways, "api", newcomer, payloads.contribution(lineitem_id=50, order="A-0050", recipients=(66666,)))
    assert LineItem.objects.filter(entity=newcomer).count() == 1
    assert LineItem.objects.filter(entity=cast.entity_a).count() == 1


def test_the_demo_writes_only_to_the_demo_entity(world, ways, b_connected, fake_ak):
    cast = world.cast
    send(ways, "api", cast.entity_b, b_gift(1, recipients=(10001,)))  # B claims the demo's ActBlue id.
    before = b_snapshot(cast)
    call_command("seed_demo", sandbox_host="127.0.0.1:8001")
    assert b_snapshot(cast) == before
    assert not LineItem.objects.filter(entity=cast.entity_a).exists()
    demo = Entity.objects.get(slug="demo-pac")
    assert LineItem.objects.filter(entity=demo).count() > 0
    assert set(Delivery.objects.filter(connection__kind="actblue_actionkit").values_list(
        "connection__entity__slug", flat=True)) <= {"demo-pac"}


def test_a_conflict_message_names_only_the_senders_own_rows(world, ways):
    cast = world.cast
    send(ways, "api", cast.entity_b, b_gift(1))
    send(ways, "api", cast.entity_a, payloads.contribution(lineitem_id=9200001, order="A-1", recipients=(ENTITY_A_ID,)))
    status, text = send(ways, "api", cast.entity_a, payloads.contribution(lineitem_id=9200001, order="A-2",
                                                                         recipients=(ENTITY_A_ID,)))
    assert status == 409 and "A-1" in text and "B-0001" not in text
