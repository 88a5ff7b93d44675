"""Optional TOTP (allauth.mfa), and the entity rule that makes it required for every member."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse

from integrations.models import AuditEvent
from integrations.services.accounts import AccountError, entity_set_require_mfa
from tests.accounts.conftest import log_in, totp_code
from tests.plugins.tenants import PASSWORD

MEMBERS = reverse("strive:members", kwargs={"entity_slug": "entity-a"})


def _turn_on_totp(client) -> str:
    """Activate an authenticator app through the pages, as a person would; returns its secret."""
    assert client.get("/2fa/totp/activate/")["Location"].startswith("/reauthenticate/")  # allauth asks for the password.
    client.post("/reauthenticate/", {"password": PASSWORD})
    page = client.get("/2fa/totp/activate/")
    secret = page.context["form"].secret
    response = client.post("/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.content
    return secret


def test_a_member_turns_on_totp_and_then_needs_a_code_to_log_in(cast):
    client = Client()
    log_in(client, "bob")
    secret = _turn_on_totp(client)
    assert Authenticator.objects.filter(user=cast.bob, type=Authenticator.Type.TOTP).exists()
    client.logout()

    fresh = Client()
    response = log_in(fresh, "bob")
    assert response["Location"] == "/2fa/authenticate/" and "_auth_user_id" not in fresh.session
    assert fresh.post("/2fa/authenticate/", {"code": "000000"}).status_code == 200  # A wrong code: the form again.
    assert "_auth_user_id" not in fresh.session
    response = fresh.post("/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302 and "_auth_user_id" in fresh.session


def test_the_activation_page_shows_the_secret_and_a_qr_code(cast):
    client = Client()
    log_in(client, "bob")
    client.post("/reauthenticate/", {"password": PASSWORD})
    page = client.get("/2fa/totp/activate/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page and 'id="authenticator_secret"' in page


def test_an_admin_without_totp_cannot_require_it(cast):
    with pytest.raises(AccountError, match="your own account first"):
        entity_set_require_mfa(entity=cast.entity_a, required=True, actor=cast.alice)
    TOTP.activate(cast.alice, "JBSWY3DPEHPK3PXP")
    entity_set_require_mfa(entity=cast.entity_a, required=True, actor=cast.alice)
    assert cast.entity_a.require_mfa
    assert AuditEvent.objects.filter(entity=cast.entity_a, action="entity.mfa_required", actor=cast.alice).exists()


def test_the_team_page_turns_the_rule_on_and_off(cast):
    TOTP.activate(cast.alice, "JBSWY3DPEHPK3PXP")
    alice = cast.client_for(cast.alice)
    url = reverse("integrations:team-security", kwargs={"entity_slug": "entity-a"})
    assert b"Every member now needs" in alice.post(url, {"require_mfa": "on"}, follow=True).content
    cast.entity_a.refresh_from_db()
    assert cast.entity_a.require_mfa
    alice.post(url, {})
    cast.entity_a.refresh_from_db()
    assert not cast.entity_a.require_mfa


def test_members_without_totp_are_sent_to_set_it_up(cast):
    cast.entity_a.require_mfa = True
    cast.entity_a.save()
    bob = cast.client_for(cast.bob)
    response = bob.get(MEMBERS, follow=True)
    assert response.redirect_chain[0][0] == "/2fa/totp/activate/"
    assert b"Entity A requires two-factor authentication" in response.content
    TOTP.activate(cast.bob, "JBSWY3DPEHPK3PXP")
    assert bob.get(MEMBERS).status_code == 200


def test_the_rule_still_lets_a_member_leave_and_still_hides_the_entity(cast):
    cast.entity_a.require_mfa = True
    cast.entity_a.save()
    assert cast.client_for(cast.bob).get(reverse("integrations:membership", kwargs={"entity_slug": "entity-a"})).status_code == 200
    assert cast.client_for(cast.charlie).get(MEMBERS).status_code == 404  # Outsiders learn nothing, not even the rule.
    assert cast.client_for(cast.charlie).get(reverse("integrations:hub", kwargs={"entity_slug": "entity-b"})).status_code == 200
