"""The tabs render their rows, search, and act; another tenant sees nothing."""

import pytest
from django.urls import reverse

from strive.activity.mapping import action_from_ak
from strive.activity.models import Page
from strive.activity.services.actions import actions_ingest
from tests.plugins.tenants import assert_hidden_from_outsiders

TABS = ("pages", "actions", "actionfield-groups", "usergroups", "outbox", "settings")


def _url(cast, name, *args):
    return reverse(f"strive_activity:{name}", args=[cast.entity_a.slug, *args])


@pytest.mark.django_db
def test_every_tab_renders_and_is_hidden_from_outsiders(cast, activity_connection, synced_page):
    client = cast.client_for(cast.alice)
    for tab in TABS:
        response = client.get(_url(cast, tab))
        assert response.status_code == 200, tab
        assert_hidden_from_outsiders(cast, _url(cast, tab))


@pytest.mark.django_db
def test_the_old_groups_address_moved_permanently_to_the_members_side(cast):
    """strive_activity:groups keeps its name so old links resolve; the page itself is strive:groups."""
    target = reverse("strive:groups", args=[cast.entity_a.slug])
    bob = cast.client_for(cast.bob)  # Any member could open the old page, so any member is sent on.
    moved = bob.get(_url(cast, "groups") + "?group=1")
    assert (moved.status_code, moved["Location"]) == (301, target + "?group=1")
    assert bob.get(_url(cast, "groups"))["Location"] == target
    posted = bob.post(_url(cast, "groups"), {"name": "From an old tab"})
    assert (posted.status_code, posted["Location"]) == (308, target)  # The browser re-sends the form there.
    assert bob.get(_url(cast, "groups"), follow=True).status_code == 200
    assert_hidden_from_outsiders(cast, _url(cast, "groups"))
    assert_hidden_from_outsiders(cast, _url(cast, "groups"), method="post")


@pytest.mark.django_db
def test_tabs_explain_how_to_connect_when_nothing_is_connected(cast):
    page = cast.client_for(cast.alice).get(_url(cast, "pages")).content.decode()
    assert "ActionKit is not connected yet" in page


@pytest.mark.django_db
def test_sync_and_unsync_from_the_pages_tab(cast, activity_connection, fake_ak):
    fake_ak.add_page(10, "petition-a", title="Save the Bay")
    from strive.activity.services.pages import pages_pull

    pages_pull(connection=activity_connection, client=fake_ak)
    page = Page.objects.get()
    client = cast.client_for(cast.alice)
    listing = client.get(_url(cast, "pages")).content.decode()
    assert "Save the Bay" in listing and "Not synced" in listing
    done = client.post(_url(cast, "page-action", page.pk, "sync"), follow=True).content.decode()
    assert "Synced “petition-a”" in done
    page.refresh_from_db()
    assert page.synced and page.group is not None
    client.post(_url(cast, "page-action", page.pk, "unsync"))
    page.refresh_from_db()
    assert not page.synced
    assert cast.entity_a.audit_events.filter(action="strive.page.unsynced").exists()


@pytest.mark.django_db
def test_the_actions_tab_searches_actionfields(cast, activity_connection, synced_page, fake_ak):
    for user in (1, 2):
        fake_ak.add_user(user)
    items = [action_from_ak(fake_ak.add_action(1, page=10, user=1, fields={"comment": "Clean water now"})),
             action_from_ak(fake_ak.add_action(2, page=10, user=2, fields={"comment": "Parks"}))]
    actions_ingest(connection=activity_connection, items=items, source="poll", client=fake_ak)
    client = cast.client_for(cast.alice)
    found = client.get(_url(cast, "actions"), {"q": "WATER"}).content.decode()
    assert "Clean water now" in found and "Parks" not in found


@pytest.mark.django_db
def test_the_actionfield_dropdown_lists_field_names_of_synced_actions(cast, activity_connection, synced_page, fake_ak):
    fake_ak.add_user(1)
    actions_ingest(connection=activity_connection, items=[action_from_ak(fake_ak.add_action(
        1, page=10, user=1, fields={"volunteer": "yes"}))], source="poll", client=fake_ak)
    client = cast.client_for(cast.alice)
    form = client.get(_url(cast, "actionfield-groups")).content.decode()
    assert '<option value="volunteer">volunteer</option>' in form
    bad = client.post(_url(cast, "actionfield-groups"), {"name": "X", "field_name": "nope"}).content.decode()
    assert "Select a valid choice" in bad
    client.post(_url(cast, "actionfield-groups"), {"name": "Volunteers", "field_name": "volunteer", "value": "y"})
    assert "Volunteers" in client.get(_url(cast, "actionfield-groups")).content.decode()


@pytest.mark.django_db
def test_the_settings_pane_shows_the_webhook_url_and_regenerates_it(cast, activity_connection):
    client = cast.client_for(cast.alice)
    before = client.get(_url(cast, "settings")).content.decode()
    token_before = activity_connection.activity_webhook.token
    assert f"/hooks/actionkit/pages/{activity_connection.pk}/{token_before}/" in before
    client.post(_url(cast, "settings"), {"do": "regenerate"})
    after = client.get(_url(cast, "settings")).content.decode()
    activity_connection.activity_webhook.refresh_from_db()
    assert activity_connection.activity_webhook.token != token_before
    assert activity_connection.activity_webhook.token in after and token_before not in after


@pytest.mark.django_db
def test_the_actions_tab_pages_by_keyset(cast, activity_connection, synced_page, fake_ak, settings):
    from strive.activity import selectors

    fake_ak.add_user(1)
    items = [action_from_ak(fake_ak.add_action(n, page=10, user=1, fields={"n": f"value{n}"})) for n in range(1, 56)]
    actions_ingest(connection=activity_connection, items=items, source="poll", client=fake_ak)
    client = cast.client_for(cast.alice)
    first = client.get(_url(cast, "actions"))
    rows, next_before = selectors.keyset(selectors.action_list(connection=activity_connection), before=None)
    assert len(rows) == 50 and next_before == rows[-1].pk
    assert "value55" in first.content.decode() and "value5<" not in first.content.decode()
    second = client.get(_url(cast, "actions"), {"before": next_before}).content.decode()
    assert "#5<" in second and "#55<" not in second


@pytest.mark.django_db
def test_the_settings_pane_can_show_the_webhook_card_with_one_tag(rf, activity_connection):
    from django.template import engines

    request = rf.get("/")
    html = engines["django"].from_string("{% load strive_activity %}{% activity_webhook_card connection %}").render(
        {"connection": activity_connection}, request)
    assert f"http://testserver/hooks/actionkit/pages/{activity_connection.pk}/{activity_connection.activity_webhook.token}/" in html
    assert "Generate a new URL" in html
