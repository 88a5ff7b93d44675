"""A real browser uploads an ActBlue export, lands on its job page at once, and watches a real worker finish it.

Screenshots at 1280 and 390 px land in test-artifacts/import-*.png; look at them after a run."""

import re

import pytest
from django.urls import reverse

from actblue.models import LineItem
from actblue.services.profile import actblue_identity_set
from integrations.models import ImportJob
from tests.actblue.payloads import ENTITY_A_ID
from tests.imports import paid_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_uploads_and_watches_the_job_finish(browser_page, live_server, login, shot, cast, celery_worker):
    # Every queue the import task may be routed to: config/celery.py decides, not this test.
    celery_worker(queues="deliveries,imports,backfills,polls")
    actblue_identity_set(entity=cast.entity_a, entity_ids=[ENTITY_A_ID])
    rows = paid_csv(300, recipient=ENTITY_A_ID).replace(",10.00,", ",ten,", 1)  # Line 2 is refused; the rest kept.
    page = browser_page
    login(page, live_server, cast.alice)
    page.goto(live_server.url + reverse("actblue:import", kwargs={"entity_slug": cast.entity_a.slug}))
    page.get_by_label("Export type").select_option("paid")
    page.get_by_label("CSV file").set_input_files({"name": "spring.csv", "mimeType": "text/csv",
                                                   "buffer": rows.encode()})
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    assert page.get_by_role("heading", name="Import of spring.csv").is_visible()
    assert page.get_by_text("Importing 300 rows in the background").is_visible()

    status = page.locator("[data-field=status_label]")
    status.filter(has_text="Finished").wait_for(timeout=90_000)  # The page polls its progress JSON.
    assert page.locator("[data-field=recorded]").inner_text() == "299"
    assert page.locator("[data-field=errors]").inner_text() == "1"
    assert page.locator("[data-field=percent]").inner_text() == "100"
    assert page.locator(".progress").get_attribute("aria-valuenow") == "100"
    assert not page.get_by_role("button", name="Cancel import").is_visible()
    assert LineItem.objects.filter(entity=cast.entity_a).count() == 299
    page.get_by_role("heading", name="Row errors", exact=True).wait_for()  # The page reloads once when it ends.
    page.wait_for_timeout(600)  # The bar's width transition.
    shot(page, "import-1-job-done-desk")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download row errors (CSV)").click()
    text = open(download.value.path()).read()
    assert text.splitlines()[0] == "row,message" and text.splitlines()[1].startswith("2,")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_timeout(600)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "import-2-job-done-phone")
    page.get_by_role("link", name="Import another file").click()
    assert page.get_by_role("heading", name="Recent imports").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "import-3-recent-phone")
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
