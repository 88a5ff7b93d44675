import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import AuditEvent, Membership


@pytest.fixture
def hub_url(cast):
    return reverse("integrations:hub", kwargs={"entity_slug": cast.entity_a.slug})


@pytest.mark.parametrize("who, expected", [("alice", 200), ("carol", 200), ("bob", 404), ("charlie", 404)])
def test_it_lets_only_admins_and_integration_holders_see_the_hub(cast, hub_url, who, expected):
    response = cast.client_for(getattr(cast, who)).get(hub_url)
    assert response.status_code == expected


def test_it_shows_a_tile_per_integration_with_connect(cast, hub_url):
    page = cast.client_for(cast.alice).get(hub_url).content.decode()
    assert "ActionKit" in page and "ActionKit member sync" in page
    assert page.count(">Connect</a>") == 2


def test_it_sends_anonymous_users_to_login(client, hub_url):
    response = client.get(hub_url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_lets_a_user_switch_between_entities(cast):
    Membership.objects.create(user=cast.alice, entity=cast.entity_b, role=Membership.Role.STAFF, can_manage_integrations=True)
    client = cast.client_for(cast.alice)
    page = client.get(reverse("integrations:hub", kwargs={"entity_slug": cast.entity_a.slug})).content.decode()
    assert reverse("integrations:hub", kwargs={"entity_slug": cast.entity_b.slug}) in page
    assert client.get(reverse("integrations:hub", kwargs={"entity_slug": cast.entity_b.slug})).status_code == 200
    assert client.get("/").status_code == 200  # Several entities: the chooser, not a redirect.


def test_it_lets_an_admin_add_a_member_and_grant_the_permission(cast, mailoutbox, django_capture_on_commit_callbacks):
    """Members join by invitation only (tests/accounts covers the whole flow): the grant travels with it."""
    client = cast.client_for(cast.alice)
    url = reverse("integrations:team", kwargs={"entity_slug": cast.entity_a.slug})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "dora@example.org", "role": "staff", "can_manage_integrations": "on"},
                               follow=True)
    assert "Invitation sent to dora@example.org" in response.content.decode()
    link = next(word for word in mailoutbox[0].body.split() if "/invitations/" in word)
    dora = Client()
    dora.get(link)
    dora.post("/signup/", {"username": "dora", "password1": "a-long-password-1", "password2": "a-long-password-1"})
    membership = Membership.objects.get(user__username="dora", entity=cast.entity_a)
    assert membership.may_manage_integrations
    assert AuditEvent.objects.filter(entity=cast.entity_a, action="invitation.sent", actor=cast.alice).exists()


def test_it_lets_an_admin_change_a_role(cast):
    membership = Membership.objects.get(user=cast.bob, entity=cast.entity_a)
    url = reverse("integrations:team-update", kwargs={"entity_slug": cast.entity_a.slug, "membership_id": membership.pk})
    cast.client_for(cast.alice).post(url, {"role": "staff", "can_manage_integrations": "on"})
    membership.refresh_from_db()
    assert membership.can_manage_integrations
    assert cast.client_for(cast.bob).get(reverse("integrations:hub", kwargs={"entity_slug": cast.entity_a.slug})).status_code == 200


def test_it_refuses_the_team_page_to_staff_even_with_the_permission(cast):
    url = reverse("integrations:team", kwargs={"entity_slug": cast.entity_a.slug})
    assert cast.client_for(cast.carol).get(url).status_code == 404


def test_it_keeps_an_admin_from_demoting_themselves(cast):
    membership = Membership.objects.get(user=cast.alice, entity=cast.entity_a)
    url = reverse("integrations:team-update", kwargs={"entity_slug": cast.entity_a.slug, "membership_id": membership.pk})
    response = cast.client_for(cast.alice).post(url, {"role": "staff"}, follow=True)
    assert "cannot remove your own admin role" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMIN


def test_it_hides_another_entitys_membership_from_the_update_view(cast):
    foreign = Membership.objects.get(user=cast.charlie)
    url = reverse("integrations:team-update", kwargs={"entity_slug": cast.entity_a.slug, "membership_id": foreign.pk})
    assert cast.client_for(cast.alice).post(url, {"role": "staff"}).status_code == 404
