"""At phone width (390 px) no page scrolls sideways: wide tables scroll inside their cards.

Screenshots at 1280 and 390 px land in test-artifacts/phone-*.png and desk-*.png; look at them after a run."""

import pytest
from django.urls import reverse

from integrations.models import AuditEvent, Delivery, DeliveryAttempt
from strive.models import Group, Member
from strive.services.activation import strive_connect
from tests.actblue.conftest import connect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGES = {"actionkit-details": "actblue:detail", "activity": "integrations:activity", "member-fields": "strive:fields",
         "groups": "strive:groups"}
RAW = '{"kind": "contribution", "duplicate": false, "user": "/rest/v1/user/77/", "orders": ["/rest/v1/order/4242/"]}'


def _world(cast, ak_sandbox, settings):
    ak_sandbox.reset()
    settings.ACTIONKIT_INSECURE_HOSTS = [*settings.ACTIONKIT_INSECURE_HOSTS, ak_sandbox.host]
    contributions = connect(cast.entity_a)
    for n in range(6):
        status = [Delivery.Status.SUCCEEDED, Delivery.Status.DEAD, Delivery.Status.FAILED][n % 3]
        d = Delivery.objects.create(connection=contributions, key=f"actblue:contribution:12345678{n}",
                                    event_type="contribution", status=status, attempts=1 + n % 3)
        DeliveryAttempt.objects.create(delivery=d, outcome="x", status_code=201, detail=RAW if n % 3 == 0 else
                                       "ActionKit rejected the data. email: Enter a valid email address.")
    members = strive_connect(entity=cast.entity_a, host=ak_sandbox.host, username=ak_sandbox.username,
                             password=ak_sandbox.password, actor=cast.alice)
    members.config = {**members.config, "sync_accounts": True}
    members.save()
    Group.objects.create(entity=cast.entity_a, name="ActionKit Integration", kind=Group.Kind.PRIMARY, connection=members)
    manual = Group.objects.create(entity=cast.entity_a, name="Phone bankers with a rather long group name")
    manual.memberships.create(member=Member.objects.create(entity=cast.entity_a, phone="+12025550111"))
    AuditEvent.objects.create(entity=cast.entity_a, actor=cast.alice, action="connection.settings_changed",
                              target="actblue_actionkit", changes={"notify_managed": [False, True]})
    AuditEvent.objects.create(entity=cast.entity_a, actor=cast.alice, action="member.created", target="+12025550111")


def test_no_page_scrolls_sideways_at_phone_width(chromium_browser, live_server, login, shot, cast, ak_sandbox,
                                                 settings):
    _world(cast, ak_sandbox, settings)
    for width, prefix in ((1280, "desk"), (390, "phone")):
        context = chromium_browser.new_context(viewport={"width": width, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15000)
        login(page, live_server, cast.alice)
        for name, url_name in PAGES.items():
            page.goto(live_server.url + reverse(url_name, args=[cast.entity_a.slug]))
            shot(page, f"{prefix}-{name}")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px"
        context.close()
