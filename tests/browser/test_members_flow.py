"""A real-browser walk: connect → fields (change an option, add a custom field) → settings and activation → live
progress → users tab. The sync runs in a real worker under a rate limit, so the progress bar moves."""


import pytest
from django.urls import reverse

from tests.plugins.worker import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERS = 3000


def test_connect_fields_settings_progress_users(browser_page, live_server, login, shot, cast, sandbox, celery_worker):
    page, slug = browser_page, cast.entity_a.slug
    sandbox.seed(users=USERS)
    # 30,000 records a minute: the initial sync takes long enough to watch, short enough for a test.
    celery_worker(queues="live,housekeeping,polls", env={"ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE": "30000"})
    login(page, live_server, cast.alice)

    page.goto(live_server.url + reverse("integrations:hub", kwargs={"entity_slug": slug}))
    page.locator('article.tile[data-kind="strive_actionkit"]').get_by_role("link", name="Connect").click()
    page.get_by_label("Hostname").fill(sandbox.host)
    page.get_by_label("Staff username").fill(sandbox.username)
    page.get_by_label("Staff password").fill("not-the-password")
    page.get_by_role("button", name="Submit").click()
    assert page.get_by_role("alert").filter(has_text="rejected that username or password").is_visible()
    assert page.get_by_label("Staff password").input_value() == ""
    shot(page, "members-01-connect-refused")
    page.get_by_label("Staff password").fill(sandbox.password)
    page.get_by_role("button", name="Submit").click()
    assert page.get_by_text("Connected to ActionKit").is_visible()
    shot(page, "members-02-fields-defaults")

    city = page.locator('tr[data-field-row="city"]')
    city.get_by_text("Details").click()
    city.get_by_label("Sync Options").select_option(label="Two-way, overwrite both")
    city.get_by_role("button", name="Save").click()
    assert page.locator('tr[data-field-row="city"] [data-option]').inner_text() == "Two-way, overwrite both"
    email = page.locator('tr[data-field-row="email"]')
    email.get_by_text("Details").click()
    assert email.get_by_label("Sync Options").locator("option").all_inner_texts() == [
        "Populate, no overwrite", "One-way, overwrite members"]
    shot(page, "members-03-fields-option-changed")

    page.goto(live_server.url + reverse("strive:custom-fields", kwargs={"entity_slug": slug}))
    page.get_by_label("Label").fill("Occupation")
    page.get_by_label("Name").fill("occupation")
    page.get_by_role("button", name="Create field").click()
    page.goto(live_server.url + reverse("strive:fields", kwargs={"entity_slug": slug}))
    page.get_by_text("+Add Field").first.click()
    page.get_by_label("AKbridge member field").select_option(label="Occupation")
    page.get_by_label("ActionKit userfield").select_option("occupation")
    page.locator("#add-field").get_by_label("Sync Options").select_option(label="Populate, overwrite members")
    page.get_by_role("button", name="Add field").click()
    assert page.locator('tr[data-field-row="occupation"] [data-option]').inner_text() == "Populate, overwrite members"
    shot(page, "members-04-custom-field-added")

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Opt-in Field Sync").select_option("sms_opt_in")
    page.get_by_label("Create Users in ActionKit").check()
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Settings saved.").is_visible()
    page.get_by_role("button", name="Turn Sync Accounts on").click()
    assert page.get_by_text("Sync Accounts is on").is_visible()
    progress = page.locator("[data-progress-url]")
    wait_until(lambda: progress.locator('[data-field="status_label"]').inner_text() in ("Reading users",
               "Initial sync finished"), timeout=120, message="the progress card to reach the users step")
    shot(page, "members-05-progress-running")
    wait_until(lambda: progress.locator('[data-field="status_label"]').inner_text() == "Initial sync finished",
               timeout=240, message="the initial sync to finish on the page")
    assert f"{USERS:,} of {USERS:,} ActionKit users read" in progress.locator('[data-field="headline"]').inner_text()
    shot(page, "members-06-progress-done")

    page.get_by_role("link", name="Users").click()
    rows = page.locator("[data-users-table] tbody tr")
    assert rows.count() == 50 and "3,000 users" in page.get_by_text("users", exact=False).last.inner_text()
    page.get_by_role("link", name="Email").click()
    first_sorted = rows.first.locator("td").nth(1).inner_text()
    assert first_sorted == sorted([first_sorted, rows.nth(1).locator("td").nth(1).inner_text()])[0]
    page.get_by_label("Sync status").select_option("skipped")
    page.get_by_role("button", name="Search").click()
    assert all(t == "Skipped" for t in page.locator("[data-users-table] .badge").all_inner_texts())
    shot(page, "members-07-users-skipped")
    page.get_by_label("Search").fill("seed1@example.org")
    page.get_by_label("Sync status").select_option("")
    page.get_by_role("button", name="Search").click()
    assert rows.count() == 1
    shot(page, "members-08-users-search")


def test_members_list_filters_by_source_and_group(browser_page, live_server, login, shot, cast):
    from strive.models import Group
    from strive.services.members import MemberInput, member_upsert

    mary, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone="(202) 555-0101", first_name="Mary",
                                                                   last_name="Smith", source="actionkit"))
    member_upsert(entity=cast.entity_a, data=MemberInput(phone="415.555.0102", first_name="Luis", source="csv"))
    group = Group.objects.create(entity=cast.entity_a, name="ActionKit Integration", kind=Group.Kind.PRIMARY)
    group.memberships.create(member=mary)
    login(browser_page, live_server, cast.alice)
    page = browser_page
    page.goto(live_server.url + reverse("strive:members", kwargs={"entity_slug": cast.entity_a.slug}))
    page.get_by_label("Group").select_option(label="ActionKit Integration")
    page.get_by_role("button", name="Filter").click()
    names = page.locator("table.table tbody tr td:first-child").all_inner_texts()
    assert names == ["Mary Smith"]
    shot(page, "members-09-list-by-group")
    page.get_by_label("Group").select_option("")
    page.get_by_label("Source").select_option("csv")
    page.get_by_label("Search").fill("415 555 0102")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("table.table tbody tr td:first-child").all_inner_texts() == ["Luis"]
    shot(page, "members-10-list-by-source-and-phone")
