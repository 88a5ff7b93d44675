"""Automations fire once per action, never for the initial import, through the configured SMS backend."""

from datetime import UTC, datetime, timedelta

import pytest

from strive.activity.mapping import action_from_ak
from strive.activity.models import Action, AutomationRun, OutboxMessage, Page
from strive.activity.services.actions import actions_ingest
from strive.activity.services.automations import automation_run_send, automation_save
from strive.activity.services.pages import page_sync, pages_pull
from strive.activity.sms.base import SendResult, SmsBackend


class RefusingBackend(SmsBackend):
    def send(self, *, message) -> SendResult:
        return SendResult(ok=False, error="carrier refused")


class DeliveringBackend(SmsBackend):
    def send(self, *, message) -> SendResult:
        return SendResult(ok=True, provider_ref="prov-1", delivered=True)


@pytest.mark.django_db
def test_nothing_fires_during_the_initial_import_but_new_actions_do(activity_connection, fake_ak, cast,
                                                                    django_capture_on_commit_callbacks):
    fake_ak.add_page(10, "petition-a")
    for user in (1, 2, 3):
        fake_ak.add_user(user)
    past = datetime.now(UTC) - timedelta(days=3)
    fake_ak.add_action(1, page=10, user=1, created=past)
    fake_ak.add_action(2, page=10, user=2, created=past)
    pages_pull(connection=activity_connection, client=fake_ak)
    page = Page.objects.get(ak_id=10)
    # The automation exists before the sync, so only the history rule can keep the import quiet.
    with django_capture_on_commit_callbacks(execute=True):
        page = page_sync(page=page, actor=cast.alice)
        automation_save(page=page, template="Welcome {{first_name}}", enabled=True, actor=cast.alice)
    page.refresh_from_db()
    assert (page.import_status, page.imported_actions) == ("done", 2)
    assert Action.objects.filter(source="import").count() == 2
    assert page.group.memberships.count() == 2  # History still fills the page group.
    assert not AutomationRun.objects.exists() and not OutboxMessage.objects.exists()

    fake_ak.add_action(3, page=10, user=3)
    from strive.activity.services.poll import poll_connection

    with django_capture_on_commit_callbacks(execute=True):
        poll_connection(connection_id=activity_connection.pk, client=fake_ak)
    assert list(AutomationRun.objects.values_list("action__ak_id", flat=True)) == [3]
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_an_action_fires_once_even_when_ingested_and_sent_again(activity_connection, synced_page, fake_ak, cast,
                                                                 django_capture_on_commit_callbacks):
    automation_save(page=synced_page, template="Hi {{first_name}} {{action_color}}", enabled=True, actor=cast.alice)
    fake_ak.add_user(5, first_name="Bo")
    item = action_from_ak(fake_ak.add_action(9, page=10, user=5, fields={"color": "red"}))
    for source in ("webhook", "poll", "poll"):
        with django_capture_on_commit_callbacks(execute=True):
            actions_ingest(connection=activity_connection, items=[item], source=source, client=fake_ak)
    run = AutomationRun.objects.get()
    assert automation_run_send(run_id=run.pk) is None  # Already sent: the message is unique per run.
    assert list(OutboxMessage.objects.values_list("body", "status")) == [("Hi Bo red", "recorded")]


@pytest.mark.django_db
def test_a_disabled_automation_sends_nothing(activity_connection, synced_page, fake_ak, cast,
                                             django_capture_on_commit_callbacks):
    automation_save(page=synced_page, template="Hi", enabled=False, actor=cast.alice)
    fake_ak.add_user(5)
    with django_capture_on_commit_callbacks(execute=True):
        actions_ingest(connection=activity_connection, items=[action_from_ak(fake_ak.add_action(9, page=10, user=5))],
                       source="poll", client=fake_ak)
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("backend, status, ref", [
    ("tests.strive_activity.test_activity_automations.RefusingBackend", "failed", ""),
    ("tests.strive_activity.test_activity_automations.DeliveringBackend", "sent", "prov-1"),
])
def test_the_backend_is_chosen_by_settings(settings, activity_connection, synced_page, fake_ak, cast, backend, status, ref,
                                           django_capture_on_commit_callbacks):
    settings.STRIVE_SMS_BACKEND = backend
    automation_save(page=synced_page, template="Hi", enabled=True, actor=cast.alice)
    fake_ak.add_user(5)
    with django_capture_on_commit_callbacks(execute=True):
        actions_ingest(connection=activity_connection, items=[action_from_ak(fake_ak.add_action(9, page=10, user=5))],
                       source="poll", client=fake_ak)
    message = OutboxMessage.objects.get()
    assert (message.status, message.provider_ref, message.backend) == (status, ref, backend)


@pytest.mark.django_db
def test_automations_need_a_synced_page(activity_connection, fake_ak, cast):
    fake_ak.add_page(10, "p")
    pages_pull(connection=activity_connection, client=fake_ak)
    with pytest.raises(ValueError, match="Sync the page first"):
        automation_save(page=Page.objects.get(), template="Hi", enabled=True, actor=cast.alice)
