"""A real browser walks hub → connect → details → settings → backfill → live progress → disconnect,
against the ActionKit sandbox with a real Celery worker sending. Screenshots land in test-artifacts/actblue-*.png."""

import re

import pytest
import requests
from django.urls import reverse

from actblue.services.ledger import contribution_record
from actblue.services.profile import actblue_identity_set
from integrations.models import Delivery
from tests.actblue import payloads
from tests.actblue.payloads import ENTITY_A_ID, ENTITY_B_ID, parsed
from tests.plugins.worker import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_walks_the_actionkit_integration(browser_page, live_server, login, shot, cast, ak_sandbox, celery_worker):
    ak_sandbox.reset()
    celery_worker(queues="live,housekeeping,backfills")
    actblue_identity_set(entity=cast.entity_a, entity_ids=[ENTITY_A_ID])
    actblue_identity_set(entity=cast.entity_b, entity_ids=[ENTITY_B_ID])
    for n in range(3):  # History from before connecting, for the backfill.
        contribution_record(entity=cast.entity_a, data=parsed(payloads.contribution(lineitem_id=500 + n, order=f"AB50{n}")))
    page = browser_page
    login(page, live_server, cast.alice)
    page.goto(live_server.url + reverse("integrations:hub", kwargs={"entity_slug": cast.entity_a.slug}))
    page.locator("article[data-kind=actblue_actionkit]").get_by_role("link", name="Connect").click()
    assert page.get_by_role("heading", name="Connect ActionKit").is_visible()
    assert page.get_by_label("Notify for All Managed Pages").is_checked() is False
    shot(page, "actblue-1-connect")

    page.get_by_label("Username").fill(ak_sandbox.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_label("ActionKit Hostname").fill(ak_sandbox.host)
    page.get_by_role("button", name="Connect").click()
    assert page.get_by_text("ActionKit rejected that username or password").is_visible()
    assert page.get_by_label("Password").input_value() == ""  # Never re-filled.
    shot(page, "actblue-2-connect-wrong-password")

    page.get_by_label("Password").fill(ak_sandbox.password)
    page.get_by_role("button", name="Connect").click()
    page.wait_for_url(re.compile(r"/actblue/details/$"))
    assert page.get_by_text(f"Connected to ActionKit at {ak_sandbox.host}").is_visible()
    assert page.locator("[data-status]").inner_text() == "Connected"
    assert page.get_by_text("Not sent yet.").is_visible()
    shot(page, "actblue-3-details")

    # ActBlue's "add webhook" form wants a URL, a username and a password: the details page gives all three.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.get_by_role("button", name="Create webhook credentials").click()
    assert page.get_by_text("Copy the password now").is_visible()
    password = page.locator("#webhook-password").inner_text()
    page.locator("button[data-copy='#webhook-password']").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == password
    hook_url, username = page.locator("#webhook-url").inner_text(), page.locator("#webhook-username").inner_text()
    shot(page, "actblue-3b-webhook")
    sent = requests.post(hook_url, json=payloads.contribution(lineitem_id=600, order="AB600"), auth=(username, password),
                         timeout=10)
    assert sent.status_code == 201
    page.reload()
    assert page.locator("[data-webhook-last]").inner_text().endswith("we answered HTTP 201")
    assert page.locator("#webhook-password").count() == 0  # Shown once only.
    wait_until(lambda: Delivery.objects.filter(key="actblue:contribution:600", status="succeeded").exists(), timeout=60,
               message="the webhook's contribution delivered")
    page.reload()
    assert page.locator("tr[data-delivery='actblue:contribution:600']").is_visible()

    page.get_by_role("link", name="Settings").first.click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Send", exact=True).check()
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_text("Saved. Managed forms: Send.").is_visible()
    shot(page, "actblue-4-settings")

    page.get_by_role("link", name="Manage").click()
    assert page.get_by_label("Subscribe historical donors to my ActionKit email list").is_checked() is False
    shot(page, "actblue-5-backfill")
    page.get_by_role("button", name="Start Backfill").click()
    page.wait_for_url(re.compile(r"/actblue/details/$"))
    progress = page.locator("[data-progress-url]")
    progress.locator("[data-field=status_label]").filter(has_text="Finished").wait_for(timeout=60000)
    assert progress.locator("[data-field=headline]").inner_text() == "3 of 3 sent (100%)."
    assert {o["import_id"] for o in ak_sandbox.orders()} == {"ab-500", "ab-501", "ab-502", "ab-600"}
    # static/js/actblue.js reloads the page once the backfill is done, showing the final state.
    page.locator("tr[data-delivery='actblue:contribution:500']").wait_for(timeout=15000)
    # Under load the reload can land after the row check, so wait for the final state instead of sampling it once.
    page.locator("dd", has_text="Sent.").wait_for(timeout=15000)
    assert page.locator("dd", has_text="Sent.").is_visible()
    shot(page, "actblue-6-progress")

    page.get_by_role("link", name="Settings").first.click()
    page.get_by_text("Disconnect integration").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disconnect now").click()
    page.wait_for_url(re.compile(r"/actblue/details/$"))
    assert page.locator("[data-status]").inner_text() == "Not connected"
    shot(page, "actblue-7-disconnected")
