"""ActBlue's own webhook: Basic auth with generated credentials, one URL for all three kinds, idempotent, clear 4xx."""

import base64
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from actblue.models import ActBlueProfile, Cancellation, LineItem, Refund
from actblue.services.profile import webhook_credentials_create
from integrations.models import AuditEvent, Delivery
from tests.actblue import payloads

pytestmark = pytest.mark.django_db


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def hook(world):
    profile, password = webhook_credentials_create(entity=world.cast.entity_a, actor=world.cast.alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(profile.webhook_username, password))
    return {"profile": profile, "password": password, "client": client,
            "url": reverse("actblue-hooks:webhook", args=[profile.webhook_token])}


def post(hook, body, client=None, url=None):
    return (client or hook["client"]).post(url or hook["url"], body, format="json")


def test_it_records_contributions_refunds_and_cancellations_on_one_url(hook, world):
    assert post(hook, payloads.contribution(recurring=True)).status_code == 201
    assert post(hook, payloads.refund(recurring=True)).json()["kind"] == "refund"
    assert post(hook, payloads.cancellation()).json()["kind"] == "cancellation"
    assert (LineItem.objects.filter(entity=world.cast.entity_a).count(), Refund.objects.count(),
            Cancellation.objects.count()) == (1, 1, 1)
    assert Delivery.objects.filter(connection=world.connection_a).count() == 3


def test_a_resend_is_answered_200_and_records_nothing_twice(hook, world):
    assert post(hook, payloads.contribution()).status_code == 201
    again = post(hook, payloads.contribution())
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert LineItem.objects.count() == 1 and Delivery.objects.count() == 1


@pytest.mark.parametrize("change", ["no header", "wrong password", "wrong username", "wrong token", "bearer",
                                    "not base64", "another tenant's pair"])
def test_wrong_credentials_get_401_with_a_basic_challenge_and_record_nothing(hook, world, change):
    client, url = APIClient(), hook["url"]
    username, password = hook["profile"].webhook_username, hook["password"]
    if change == "wrong password":
        client.credentials(HTTP_AUTHORIZATION=basic(username, password + "x"))
    elif change == "wrong username":
        client.credentials(HTTP_AUTHORIZATION=basic(username + "x", password))
    elif change == "wrong token":
        client.credentials(HTTP_AUTHORIZATION=basic(username, password))
        url = reverse("actblue-hooks:webhook", args=["not-the-token"])
    elif change == "bearer":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {password}")
    elif change == "not base64":
        client.credentials(HTTP_AUTHORIZATION="Basic %%%")
    elif change == "another tenant's pair":
        other, other_password = webhook_credentials_create(entity=world.cast.entity_b, actor=None)
        client.credentials(HTTP_AUTHORIZATION=basic(other.webhook_username, other_password))  # B's pair on A's URL.
    response = post(hook, payloads.contribution(), client=client, url=url)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic realm=")
    assert "Wrong or missing webhook username and password" in response.json()["detail"]
    assert not LineItem.objects.exists()
    assert ActBlueProfile.objects.get(entity=world.cast.entity_a).webhook_last_received_at is None


def test_new_credentials_retire_the_old_ones_at_once(hook, world):
    profile, password = webhook_credentials_create(entity=world.cast.entity_a, actor=world.cast.alice)
    assert post(hook, payloads.contribution()).status_code == 401  # Old URL and pair.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(profile.webhook_username, password))
    url = reverse("actblue-hooks:webhook", args=[profile.webhook_token])
    assert post(hook, payloads.contribution(), client=client, url=url).status_code == 201
    assert list(AuditEvent.objects.filter(entity=world.cast.entity_a, action__startswith="actblue.webhook")
                .order_by("id").values_list("action", flat=True)) == ["actblue.webhook_created", "actblue.webhook_rotated"]


def test_the_password_is_stored_only_as_a_digest(hook):
    profile = ActBlueProfile.objects.get(pk=hook["profile"].pk)
    assert hook["password"] not in json.dumps(list(ActBlueProfile.objects.values()), default=str)
    assert len(profile.webhook_password_digest) == 64


@pytest.mark.parametrize("body, field", [
    ({"donor": {}}, "contribution"),
    (payloads.contribution() | {"lineitems": []}, "lineitems"),
])
def test_a_bad_body_gets_a_400_naming_the_field_and_is_remembered_as_received(hook, world, body, field):
    response = post(hook, body)
    assert response.status_code == 400 and field in response.json()["errors"]
    profile = ActBlueProfile.objects.get(pk=hook["profile"].pk)
    assert profile.webhook_last_status == 400 and profile.webhook_last_received_at is not None
    assert not LineItem.objects.exists()


def test_a_deeply_nested_body_is_a_400(hook):
    raw = '{"donor":' * 100_000 + "{}" + "}" * 100_000
    response = hook["client"].post(hook["url"], raw, content_type="application/json")
    assert response.status_code == 400


def test_the_details_page_shows_the_url_username_password_once_and_the_last_webhook(world):
    cast = world.cast
    client = cast.client_for(cast.alice)
    detail = reverse("actblue:detail", kwargs={"entity_slug": cast.entity_a.slug})
    assert "Create webhook credentials" in client.get(detail).content.decode()
    response = client.post(reverse("actblue:webhook-credentials", kwargs={"entity_slug": cast.entity_a.slug}), follow=True)
    html = response.content.decode()
    profile = ActBlueProfile.objects.get(entity=cast.entity_a)
    password = html.split('id="webhook-password" class="secret-once wrap">')[1].split("<")[0]
    assert f"http://testserver/hooks/actblue/{profile.webhook_token}/" in html and profile.webhook_username in html
    assert 'data-copy="#webhook-url"' in html and "None yet" in html
    assert password not in client.get(detail).content.decode()  # Shown once.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=basic(profile.webhook_username, password))
    assert api.post(f"/hooks/actblue/{profile.webhook_token}/", payloads.contribution(), format="json").status_code == 201
    assert "we answered HTTP 201" in client.get(detail).content.decode()


def test_only_the_tenants_own_admins_can_create_its_credentials(world):
    cast = world.cast
    url = reverse("actblue:webhook-credentials", kwargs={"entity_slug": cast.entity_a.slug})
    assert cast.client_for(cast.charlie).post(url).status_code == 404
    assert cast.client_for(cast.bob).post(url).status_code == 404
    assert not ActBlueProfile.objects.filter(entity=cast.entity_a, webhook_token__isnull=False).exists()
