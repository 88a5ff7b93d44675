"""A real browser sees the ActionKit compatibility checklist on both details pages: a failed probe with what it
turns off and what to change in ActionKit, and "Check again" re-running it. Screenshots at 1280 and 390 px land in
test-artifacts/compat-*.png."""

import sqlite3

import pytest
from django.urls import reverse

from actblue.services.connecting import actionkit_connect
from actionkit.factory import clients_clear
from actionkit.services import compat_check
from integrations.models import Connection
from strive.services.activation import strive_connect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(ak_sandbox, settings):
    ak_sandbox.reset()
    settings.ACTIONKIT_INSECURE_HOSTS = [*settings.ACTIONKIT_INSECURE_HOSTS, ak_sandbox.host]
    yield ak_sandbox
    ak_sandbox.quirks_off()
    clients_clear()


def test_the_members_details_page_shows_a_failed_probe_and_check_again_reruns_it(
        browser_page, live_server, login, shot, cast, sandbox):
    sandbox.seed(users=3, usergroups=1)
    sandbox.quirk("forbidden_resources", resources=["usergroup"])
    strive_connect(entity=cast.entity_a, host=sandbox.host, username=sandbox.username, password=sandbox.password,
                   actor=cast.alice)
    compat_check(connection_id=Connection.objects.get(entity=cast.entity_a, kind="strive_actionkit").pk)
    page = browser_page
    login(page, live_server, cast.alice)
    page.goto(live_server.url + reverse("strive:detail", kwargs={"entity_slug": cast.entity_a.slug}))
    failed = page.locator("[data-probe='read:usergroup']")
    assert failed.get_attribute("data-probe-status") == "failed"
    assert "Failed" in failed.inner_text() and "Turns off: Usergroup sync" in failed.inner_text()
    assert "give the staff account permission to read usergroups" in failed.inner_text()
    assert page.locator("[data-probe='read:user']").get_attribute("data-probe-status") == "passed"
    page.locator("#compatibility").scroll_into_view_if_needed()
    shot(page, "compat-1-members-failed-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "compat-2-members-failed-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    sandbox.quirks_off()  # The permission is given in ActionKit; Check again sees it.
    page.get_by_role("button", name="Check again").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Checked ActionKit again: nothing failed.").is_visible()
    assert page.locator("[data-probe='read:usergroup']").get_attribute("data-probe-status") == "passed"
    assert page.locator("[data-probe-status='failed']").count() == 0
    shot(page, "compat-3-members-rechecked-1280")


def test_the_contributions_details_page_names_a_missing_user_field(browser_page, live_server, login, shot, cast,
                                                                   sandbox):
    with sqlite3.connect(sandbox.db_path) as db:
        db.execute("DELETE FROM alloweduserfield WHERE name = 'express_lane'")
    actionkit_connect(entity=cast.entity_a, username=sandbox.username, password=sandbox.password, host=sandbox.host,
                      account="", notify_managed=False, actor=cast.alice)  # The check runs at connect.
    page = browser_page
    login(page, live_server, cast.alice)
    page.goto(live_server.url + reverse("actblue:detail", kwargs={"entity_slug": cast.entity_a.slug}))
    row = page.locator("[data-probe='field:express_lane']")
    assert row.get_attribute("data-probe-status") == "failed"
    assert "add the user field “express_lane”" in row.inner_text()
    assert page.locator("[data-probe='field:employer']").get_attribute("data-probe-status") == "passed"
    assert page.locator("[data-probe='read:usergroup']").count() == 0  # Not something contributions rely on.
    page.locator("#compatibility").scroll_into_view_if_needed()
    shot(page, "compat-4-contributions-failed-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "compat-5-contributions-failed-390")
    with sqlite3.connect(sandbox.db_path) as db:
        db.execute("INSERT INTO alloweduserfield (name, display_name, created_at, updated_at) "
                   "VALUES ('express_lane', 'Express Lane', '2026-01-01', '2026-01-01')")
    page.get_by_role("button", name="Check again").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-probe='field:express_lane']").get_attribute("data-probe-status") == "passed"
