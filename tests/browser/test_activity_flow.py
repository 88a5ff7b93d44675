"""A real-browser walk of the activity side against the sandbox: sync a page, an action arrives by the webhook,
the member joins the page group and the automation's message lands in the outbox, an ActionField group is made,
and a usergroup is synced. Tasks run eagerly inside the live server."""


import pytest
from django.urls import reverse

from strive.activity.tasks import poll_connection
from strive.models import GroupMembership
from tests.plugins.worker import wait_until
from tests.strive_activity.helpers import sandbox_connection, take_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_walks_pages_actions_groups_and_usergroups(browser_page, live_server, login, shot, cast, ak_sandbox,
                                                       ak_client):
    page = browser_page
    ak_sandbox.reset()
    ak_sandbox.create_page("browser-petition", title="Save the Bay", type="Petition")
    connection = sandbox_connection(cast.entity_a, ak_sandbox)
    poll_connection(connection.pk)  # What activation and the beat do: pull every page.
    url = live_server.url + "/e/" + cast.entity_a.slug + "/strive/activity/"
    login(page, live_server, cast.alice)

    page.goto(url + "pages/")
    row = page.locator("tr[data-page='browser-petition']")
    assert "Not synced" in row.inner_text()
    row.locator("summary").click()
    row.get_by_role("button", name="Sync").click()
    page.get_by_text("Synced “browser-petition”").wait_for()
    assert "Synced" in page.locator("tr[data-page='browser-petition']").inner_text()
    shot(page, "activity-1-page-synced")

    page.locator("tr[data-page='browser-petition'] summary").click()
    page.get_by_role("link", name="Automation").click()
    page.get_by_label("Message template").fill("Hi {{first_name}}, thanks for signing {{page_title}}")
    page.get_by_role("button", name="Save automation").click()
    page.get_by_text("Saved the automation").wait_for()

    page.goto(url + "settings/")
    hook = page.get_by_label("Integration webhook URL").input_value()
    shot(page, "activity-2-webhook-url")
    # What the admin does in ActionKit: enter that URL as the page's push endpoint. Then a signature on the page
    # reaches us from ActionKit itself (the sandbox posts it over HTTP), not from the test.
    ak_sandbox.push_endpoint(hook, ["browser-petition"], name="Strive")
    taken = take_action(ak_client, "browser-petition", 7, volunteer="Yes, weekends")
    wait_until(lambda: ak_sandbox.pushes(), message="ActionKit to push the action")
    assert [(p["action_id"], p["status_code"]) for p in ak_sandbox.pushes()] == [(taken["action_id"], 202)]

    page.goto(live_server.url + reverse("strive:groups", args=[cast.entity_a.slug]))
    group_row = page.locator("tr[data-group='browser-petition']")
    assert "Page" in group_row.inner_text() and "\t1\t" in group_row.inner_text()
    assert "is synced" in group_row.inner_text()
    # A protected group offers no Delete at all: the row says why instead.
    assert group_row.get_by_role("button", name="Delete").count() == 0
    assert "Protected; cannot be deleted" in group_row.inner_text()
    shot(page, "activity-3-groups-protected")

    page.goto(url + "outbox/")
    assert "Hi Person7, thanks for signing Save the Bay" in page.locator("table").inner_text()
    shot(page, "activity-4-outbox")

    page.goto(url + "actions/?q=weekends")
    assert "Yes, weekends" in page.locator("table").inner_text()

    page.goto(url + "actionfield-groups/")
    page.get_by_text("+Add Group").click()
    page.get_by_label("Group name").fill("Weekend volunteers")
    page.get_by_label("ActionField name").select_option("volunteer")
    page.get_by_label("Value contains").fill("weekend")
    page.get_by_role("button", name="Create group").click()
    page.get_by_text("Created “Weekend volunteers” with 1 member.").wait_for()
    shot(page, "activity-5-actionfield-group")

    ug = ak_client._request("POST", "/rest/v1/usergroup/", json_body={"name": "Browser Volunteers"})
    ak_client.usergroup_add_user(int(ug.location.rstrip("/").rsplit("/", 1)[-1]), int(taken["user_id"]))
    page.goto(url + "settings/")
    page.get_by_role("button", name="Poll now").click()
    page.get_by_text("A poll of pages").wait_for()
    page.goto(url + "usergroups/")
    ug_row = page.locator("tr[data-usergroup='Browser Volunteers']")
    ug_row.locator("summary").click()
    ug_row.get_by_role("button", name="Sync").click()
    page.get_by_text("Synced “Browser Volunteers”").wait_for()
    shot(page, "activity-6-usergroup-synced")
    assert GroupMembership.objects.filter(group__name="Browser Volunteers").count() == 1
    page.goto(live_server.url + reverse("strive:groups", args=[cast.entity_a.slug]))
    shot(page, "activity-7-groups")
