"""Signing up an organization: the account, its verified email, and the entity it runs."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from integrations.models import AuditEvent, Entity, Membership
from integrations.services.accounts import organization_sign_up
from tests.accounts.conftest import link_in, log_in

SIGNUP = {"organization_name": "Friends of the River", "username": "rosa", "email": "Rosa@Example.org",
          "password1": "a-long-river-password", "password2": "a-long-river-password"}

pytestmark = pytest.mark.django_db


def test_it_makes_the_signer_the_admin_of_a_new_organization():
    user = get_user_model().objects.create_user(username="rosa")
    entity = organization_sign_up(user=user, organization_name="  Friends of the River ")
    assert (entity.name, entity.slug) == ("Friends of the River", "friends-of-the-river")
    assert Membership.objects.get(entity=entity).role == Membership.Role.ADMIN
    assert AuditEvent.objects.filter(entity=entity, action="entity.signed_up", actor=user).exists()


def test_it_gives_each_organization_its_own_slug():
    Entity.objects.create(name="River", slug="friends-of-the-river")
    user = get_user_model().objects.create_user(username="rosa")
    assert organization_sign_up(user=user, organization_name="Friends of the River").slug == "friends-of-the-river-2"
    assert organization_sign_up(user=user, organization_name="!!!").slug == "organization"


def test_it_asks_for_the_email_to_be_confirmed_before_anything_else(mailoutbox):
    client = Client()
    response = client.post("/signup/", SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/confirm-email/"
    assert "_auth_user_id" not in client.session
    entity = Entity.objects.get(name="Friends of the River")
    assert Membership.objects.filter(entity=entity, user__username="rosa", role="admin").exists()
    assert not EmailAddress.objects.get(email="rosa@example.org").verified
    assert log_in(Client(), "rosa", SIGNUP["password1"])["Location"] == "/confirm-email/"  # Not before confirming.


def test_the_emailed_link_confirms_the_address_and_logs_in(mailoutbox):
    client = Client()
    client.post("/signup/", SIGNUP)
    confirm = link_in(mailoutbox, "/confirm-email/")
    assert client.get(confirm).status_code == 200
    response = client.post(confirm, follow=True)
    assert EmailAddress.objects.get(email="rosa@example.org").verified
    assert response.redirect_chain[-1][0] == "/e/friends-of-the-river/integrations/"
    assert b"Friends of the River" in response.content


def test_it_requires_an_organization_name():
    response = Client().post("/signup/", {**SIGNUP, "organization_name": ""})
    assert response.status_code == 200 and b"This field is required" in response.content
    assert not get_user_model().objects.filter(username="rosa").exists()


def test_an_address_already_in_use_is_not_revealed(cast, mailoutbox):
    response = Client().post("/signup/", {**SIGNUP, "email": "alice@example.org"})
    assert response["Location"] == "/confirm-email/"  # The same answer as for a new address...
    assert not get_user_model().objects.filter(username="rosa").exists()
    assert "already" in mailoutbox[-1].body.lower()  # ...and the owner is told by mail.


def test_the_demo_login_needs_no_email_confirmation():
    call_command("seed_demo", sandbox_host="127.0.0.1:9")
    client = Client()
    response = log_in(client, "demo-admin", "demo-admin-password")
    assert response.status_code == 302 and "_auth_user_id" in client.session
