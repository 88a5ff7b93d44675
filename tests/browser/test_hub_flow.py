import pytest
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_and_reaches_the_hub(browser_page, live_server, login, shot, cast):
    login(browser_page, live_server, cast.alice)
    browser_page.goto(live_server.url + reverse("integrations:hub", kwargs={"entity_slug": cast.entity_a.slug}))
    assert browser_page.get_by_role("heading", name="Integrations").is_visible()
    tiles = browser_page.locator("article.tile h2").all_inner_texts()
    assert tiles == ["ActionKit", "ActionKit member sync"]
    shot(browser_page, "hub")


def test_it_locks_out_other_tenants_in_the_browser(browser_page, live_server, login, cast):
    login(browser_page, live_server, cast.charlie)
    response = browser_page.goto(live_server.url + reverse("integrations:hub", kwargs={"entity_slug": cast.entity_a.slug}))
    assert response.status == 404
