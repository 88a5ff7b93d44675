"""Accounts in a real browser: sign up an organization, confirm the email, invite a teammate who sets their own
password, reset a password, and turn on TOTP. Mail comes from Django's locmem outbox (the live server runs in this
process). Screenshots at 1280 and 390 px go to /tmp/accounts-*.png."""

import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from integrations.models import Membership
from tests.accounts.conftest import link_in, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())
ROSA_PASSWORD, TOM_PASSWORD, TOM_NEW_PASSWORD = "rosa-river-password-1", "tom-first-password-2", "tom-second-password-3"


def _screens(page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"accounts-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _log_in(page, url: str, login: str, password: str) -> None:
    page.goto(url + "/login/")
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_it_signs_up_invites_resets_and_turns_on_totp(chromium_browser, browser_page, live_server, mailoutbox):
    url, rosa = live_server.url, browser_page
    cache.clear()  # allauth's per-address limits (one confirmation mail per address every 3 minutes) live in the cache.

    # Sign up an organization; the confirmation link arrives by mail.
    rosa.goto(url + "/login/")
    rosa.get_by_role("link", name="Sign up your organization").click()
    rosa.get_by_label("Organization name").fill("Riverside PAC")
    rosa.get_by_label("Username").fill("rosa")
    rosa.get_by_label("Email").fill("rosa@example.org")
    rosa.get_by_label("Password", exact=True).fill(ROSA_PASSWORD)
    rosa.get_by_label("Password (again)").fill(ROSA_PASSWORD)
    _screens(rosa, "signup")
    rosa.get_by_role("button", name="Sign up").click()
    expect(rosa.get_by_role("heading", name="Confirm your email")).to_be_visible()
    rosa.goto(url + link_in(mailoutbox, "/confirm-email/"))
    rosa.get_by_role("button", name="Confirm").click()
    expect(rosa).to_have_url(url + "/e/riverside-pac/integrations/")

    # Invite a teammate from the Team page.
    rosa.get_by_role("link", name="Team").click()
    rosa.get_by_label("Email").fill("tom@example.org")
    rosa.get_by_label("Integrations permission").check()
    rosa.get_by_role("button", name="Send invitation").click()
    expect(rosa.get_by_text("Invitation sent to tom@example.org")).to_be_visible()
    _screens(rosa, "team")

    # The teammate opens the link, sets a password, and is in (no confirmation mail: the link proved the address).
    tom = chromium_browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    tom.goto(url + link_in(mailoutbox, "/invitations/"))
    expect(tom.get_by_role("heading", name="Join Riverside PAC")).to_be_visible()
    tom.get_by_role("link", name="Create your account").click()
    expect(tom.get_by_label("Email")).to_have_value("tom@example.org")
    tom.get_by_label("Username").fill("tom")
    tom.get_by_label("Password", exact=True).fill(TOM_PASSWORD)
    tom.get_by_label("Password (again)").fill(TOM_PASSWORD)
    tom.screenshot(path=SHOTS / "accounts-invitee-signup-390.png", full_page=True)
    tom.get_by_role("button", name="Create account and join").click()
    expect(tom).to_have_url(url + "/e/riverside-pac/integrations/")
    membership = Membership.objects.get(user__username="tom")
    assert (membership.entity.slug, membership.role, membership.can_manage_integrations) == ("riverside-pac", "staff", True)

    # The teammate forgets the password and resets it by email.
    tom.get_by_role("button", name="Log out").click()
    tom.goto(url + "/password/reset/")
    tom.get_by_label("Email").fill("tom@example.org")
    tom.get_by_role("button", name="Email me a link").click()
    expect(tom.get_by_role("heading", name="Check your email")).to_be_visible()
    tom.goto(url + link_in(mailoutbox, "/password/reset/key/"))
    tom.get_by_label("New Password", exact=True).fill(TOM_NEW_PASSWORD)
    tom.get_by_label("New Password (again)").fill(TOM_NEW_PASSWORD)
    tom.get_by_role("button", name="Set password").click()
    expect(tom.get_by_role("heading", name="Password changed")).to_be_visible()
    _log_in(tom, url, "tom", TOM_NEW_PASSWORD)
    expect(tom).to_have_url(url + "/e/riverside-pac/integrations/")

    # The admin turns on TOTP with the secret the page shows, then logs in again with a second step.
    rosa.locator(".account").get_by_role("link", name="Security").click()
    rosa.get_by_role("link", name="Set up an authenticator app").click()
    rosa.get_by_label("Password").fill(ROSA_PASSWORD)  # allauth asks for the password again first.
    rosa.get_by_role("button", name="Confirm").click()
    secret = rosa.locator("#authenticator_secret").input_value()
    _screens(rosa, "totp")
    rosa.get_by_label("Authenticator code").fill(totp_code(secret))
    rosa.get_by_role("button", name="Turn on").click()
    expect(rosa.get_by_role("heading", name="Recovery codes")).to_be_visible()
    recovery_code = rosa.locator("ul.codes code").first.inner_text()
    rosa.get_by_role("button", name="Log out").click()
    _log_in(rosa, url, "rosa@example.org", ROSA_PASSWORD)  # By email this time.
    expect(rosa.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    # This 30-second step's code was used to turn TOTP on and allauth accepts a code once, so use a recovery code.
    rosa.get_by_label("Code").fill(recovery_code)
    rosa.get_by_role("button", name="Log in").click()
    expect(rosa).to_have_url(url + reverse("integrations:hub", kwargs={"entity_slug": "riverside-pac"}))
