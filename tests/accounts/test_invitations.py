"""Invitations: the only way into an entity. An admin invites an address; whoever holds the emailed link joins."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.models import AuditEvent, Invitation, Membership
from integrations.services.accounts import (
    AccountError,
    invitation_accept,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from tests.accounts.conftest import link_in

SITE = "http://testserver/"


@pytest.fixture
def invite(cast, django_capture_on_commit_callbacks):
    def send(email="dora@example.org", role="staff", integrations=False, entity=None, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            return invitation_send(entity=entity or cast.entity_a, email=email, role=role,
                                   can_manage_integrations=integrations, actor=actor or cast.alice, site_url=SITE)
    return send


def _team(cast, entity=None):
    return reverse("integrations:team", kwargs={"entity_slug": (entity or cast.entity_a).slug})


# Services.

def test_it_stores_only_a_hash_of_the_token_and_mails_the_link(cast, invite, mailoutbox):
    invitation = invite(email=" Dora@Example.org ")
    link = link_in(mailoutbox, "/invitations/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.email == "dora@example.org" and mailoutbox[0].to == ["dora@example.org"]
    assert invitation.token_hash == Invitation.hash_token(token) and token not in invitation.token_hash
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert AuditEvent.objects.filter(entity=cast.entity_a, action="invitation.sent", target="dora@example.org").exists()


def test_inviting_again_replaces_the_link(cast, invite, mailoutbox):
    first = invite()
    old_link = link_in(mailoutbox, "/invitations/")
    again = invite(role="admin")
    assert again.pk == first.pk and again.role == "admin"
    assert Client().get(old_link).status_code == 404
    assert link_in(mailoutbox, "/invitations/") != old_link


def test_resend_keeps_the_role(cast, invite, mailoutbox, django_capture_on_commit_callbacks):
    invitation = invite(role="admin", integrations=True)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(invitation=invitation, actor=cast.alice, site_url=SITE)
    invitation.refresh_from_db()
    assert (invitation.role, invitation.can_manage_integrations, len(mailoutbox)) == ("admin", True, 2)


def test_it_refuses_to_invite_a_member(cast, invite):
    with pytest.raises(AccountError, match="already belongs"):
        invite(email="BOB@example.org")


def test_accepting_makes_a_member_with_the_invited_role(cast, invite):
    dora = get_user_model().objects.create_user(username="dora", email="dora@example.org")
    membership = invitation_accept(invitation=invite(role="staff", integrations=True), user=dora)
    assert membership.entity == cast.entity_a and membership.may_manage_integrations
    assert Invitation.objects.get().accepted_by == dora
    with pytest.raises(AccountError, match="no longer valid"):
        invitation_accept(invitation=Invitation.objects.get(), user=dora)  # Once only.


def test_an_invitation_for_another_address_is_refused(cast, invite):
    with pytest.raises(AccountError, match="another email address"):
        invitation_accept(invitation=invite(email="dora@example.org"), user=cast.charlie)
    assert not Membership.objects.filter(user=cast.charlie, entity=cast.entity_a).exists()


def test_revoked_and_expired_invitations_are_refused(cast, invite):
    dora = get_user_model().objects.create_user(username="dora", email="dora@example.org")
    revoked = invitation_revoke(invitation=invite(), actor=cast.alice)
    with pytest.raises(AccountError):
        invitation_accept(invitation=revoked, user=dora)
    expired = invite()
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(AccountError):
        invitation_accept(invitation=expired, user=dora)
    assert not Membership.objects.filter(user=dora).exists()


# Pages.

def test_an_admin_invites_from_the_team_page(cast, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.client_for(cast.alice).post(_team(cast), {"email": "dora@example.org", "role": "admin"}, follow=True)
    page = response.content.decode()
    assert "Invitation sent to dora@example.org" in page and "Pending invitations" in page
    assert Invitation.objects.get().invited_by == cast.alice
    assert "Entity A" in mailoutbox[0].subject


def test_a_new_person_signs_up_from_the_link_with_the_address_already_verified(cast, invite, mailoutbox):
    invite(integrations=True)
    dora = Client()
    page = dora.get(link_in(mailoutbox, "/invitations/")).content.decode()
    assert "Create your account" in page
    signup = dora.get("/signup/").content.decode()
    assert "Organization name" not in signup and 'value="dora@example.org"' in signup
    response = dora.post("/signup/", {"username": "dora", "email": "mallory@example.org",  # Ignored: fixed field.
                                      "password1": "a-long-dora-password", "password2": "a-long-dora-password"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" in dora.session  # Logged in at once: no confirmation mail needed.
    user = get_user_model().objects.get(username="dora")
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [("dora@example.org", True)]
    assert Membership.objects.get(user=user).entity == cast.entity_a
    assert Membership.objects.filter(user=user).count() == 1  # No organization of her own.
    assert dora.get("/", follow=True).redirect_chain[-1][0] == "/e/entity-a/integrations/"


def test_someone_with_an_account_logs_in_then_accepts(cast, invite, mailoutbox):
    invite(email="charlie@example.org")
    link = link_in(mailoutbox, "/invitations/")
    client = Client()
    assert f"/login/?next={link}" in client.get(link).content.decode().replace("%2F", "/")
    response = client.post("/login/", {"login": "charlie", "password": "correct-horse-battery-staple", "next": link})
    assert response["Location"] == link
    assert b"Accept and join" in client.get(link).content
    response = client.post(link, follow=True)
    assert b"Welcome to Entity A" in response.content
    assert Membership.objects.get(user=cast.charlie, entity=cast.entity_a).role == "staff"


def test_an_invitee_whose_address_has_an_account_is_told_to_log_in(cast, invite, mailoutbox):
    invite(email="charlie@example.org")
    client = Client()
    client.get(link_in(mailoutbox, "/invitations/"))
    response = client.post("/signup/", {"username": "charlie2", "password1": "a-long-pass-word", "password2": "a-long-pass-word"})
    assert b"Log in to accept the invitation" in response.content
    assert not get_user_model().objects.filter(username="charlie2").exists()


def test_the_wrong_account_cannot_accept(cast, invite, mailoutbox):
    invite(email="dora@example.org")
    link = link_in(mailoutbox, "/invitations/")
    response = cast.client_for(cast.charlie).post(link, follow=True)
    assert b"sent to another email address" in response.content
    assert not Membership.objects.filter(user=cast.charlie, entity=cast.entity_a).exists()


def test_revoking_kills_the_link(cast, invite, mailoutbox):
    invitation = invite()
    link = link_in(mailoutbox, "/invitations/")
    url = reverse("integrations:invitation-action", kwargs={"entity_slug": "entity-a", "invitation_id": invitation.pk,
                                                            "action": "revoke"})
    assert cast.client_for(cast.bob).post(url).status_code == 404  # Staff cannot.
    cast.client_for(cast.alice).post(url)
    page = Client().get(link).content.decode()
    assert "no longer valid" in page and "Create your account" not in page
    dora = Client()
    dora.get(link)
    dora.post("/signup/", {"organization_name": "Dora's", "username": "dora", "email": "dora@example.org",
                           "password1": "a-long-dora-password", "password2": "a-long-dora-password"})
    assert not Membership.objects.filter(entity=cast.entity_a, user__username="dora").exists()
    assert not EmailAddress.objects.get(email="dora@example.org").verified  # The revoked link vouches for nothing.


def test_resending_from_the_team_page_sends_a_new_link(cast, invite, mailoutbox, django_capture_on_commit_callbacks):
    invitation = invite()
    old = link_in(mailoutbox, "/invitations/")
    url = reverse("integrations:invitation-action", kwargs={"entity_slug": "entity-a", "invitation_id": invitation.pk,
                                                            "action": "resend"})
    with django_capture_on_commit_callbacks(execute=True):
        cast.client_for(cast.alice).post(url)
    assert link_in(mailoutbox, "/invitations/") != old and Client().get(old).status_code == 404


def test_another_entitys_invitation_is_a_404(cast, invite):
    foreign = invite(entity=cast.entity_b, actor=cast.charlie)
    url = reverse("integrations:invitation-action", kwargs={"entity_slug": "entity-a", "invitation_id": foreign.pk,
                                                            "action": "revoke"})
    assert cast.client_for(cast.alice).post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


@pytest.mark.django_db
def test_an_unknown_token_is_a_404():
    assert Client().get("/invitations/not-a-token/").status_code == 404


# The attack the old "add by username" form allowed.

@pytest.mark.parametrize("typed", [{"username": "alice"}, {"username": "alice", "password": "attacker-chosen-1"},
                                   {"email": "alice"}], ids=["username", "username-and-password", "username-as-email"])
def test_an_admin_cannot_pull_in_another_organizations_account(cast, typed):
    """charlie runs entity B and types alice's username (she belongs to A): nothing joins, nothing about her shows."""
    charlie = cast.client_for(cast.charlie)
    response = charlie.post(_team(cast, cast.entity_b), {"role": "admin", **typed}, follow=True)
    assert response.status_code == 200  # The invitation form again, with its error: there is no username field.
    assert b"Enter a valid email address" in response.content or b"This field is required" in response.content
    assert not Membership.objects.filter(user=cast.alice, entity=cast.entity_b).exists()
    assert not Invitation.objects.exists()
    assert cast.alice.check_password("correct-horse-battery-staple")  # Her password is untouched.
    assert "alice@example.org" not in response.content.decode()


def test_inviting_an_existing_account_looks_the_same_as_a_new_address(cast, mailoutbox, django_capture_on_commit_callbacks):
    charlie = cast.client_for(cast.charlie)
    with django_capture_on_commit_callbacks(execute=True):
        known = charlie.post(_team(cast, cast.entity_b), {"email": "alice@example.org", "role": "admin"}, follow=True)
        unknown = charlie.post(_team(cast, cast.entity_b), {"email": "zed@example.org", "role": "admin"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert "Invitation sent to alice@example.org" in known.content.decode()
    assert "Invitation sent to zed@example.org" in unknown.content.decode()
    assert not Membership.objects.filter(user=cast.alice, entity=cast.entity_b).exists()
    page = charlie.get(_team(cast, cast.entity_b)).content.decode()
    assert ">alice<" not in page and "alice</td>" not in page  # Her username never shows; only the typed address.
    assert [m.body.count("Entity B") for m in mailoutbox] == [1, 1]  # The invitation goes to alice to decide.
