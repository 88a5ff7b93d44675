"""End to end against the ActionKit sandbox through a real Celery worker: poll, sync, import, webhook, poll again."""


import pytest

from strive.activity.models import Action, OutboxMessage, Page, Usergroup
from strive.activity.services.automations import automation_save
from strive.activity.services.pages import page_sync
from strive.activity.services.usergroups import usergroup_sync
from strive.activity.services.webhooks import webhook_path
from strive.activity.tasks import poll_connection
from strive.models import GroupMembership, MemberLink
from tests.plugins.worker import wait_until
from tests.strive_activity.helpers import sandbox_connection, take_action


@pytest.mark.django_db(transaction=True)
def test_it_runs_pages_actions_automations_and_usergroups_through_a_worker(
        cast, ak_sandbox, ak_client, celery_worker, web_server):
    ak_sandbox.reset()
    ak_sandbox.create_page("e2e-petition", title="Clean Water", type="Petition")
    take_action(ak_client, "e2e-petition", 1, comment="history")  # Before the sync: imported, never messaged.
    connection = sandbox_connection(cast.entity_a, ak_sandbox)
    worker = celery_worker(queues="polls,live")  # Polls and imports; the webhook's events and messages are live work.

    poll_connection.delay(connection.pk)
    page = wait_until(lambda: Page.objects.filter(connection=connection, name="e2e-petition").first(),
                      message="the first poll to pull every page")
    page = page_sync(page=page, actor=cast.alice)
    wait_until(lambda: Page.objects.get(pk=page.pk).import_status == "done", message="the page's initial import")
    page.refresh_from_db()
    assert page.imported_actions == 1 and page.group.memberships.count() == 1
    automation_save(page=page, template="Hi {{first_name}}, thanks for signing {{page_title}}", enabled=True,
                    actor=cast.alice)

    # The admin enters the integration webhook in the page's configuration; ActionKit (the sandbox) then pushes
    # each action to it over HTTP, and the app answers it as production does (gunicorn, config.wsgi).
    ak_sandbox.push_endpoint(web_server + webhook_path(connection=connection), ["e2e-petition"], name="strive")
    live = take_action(ak_client, "e2e-petition", 2, comment="by webhook")
    wait_until(lambda: OutboxMessage.objects.count() == 1, message="the webhook's automation message", timeout=30)
    assert [(p["action_id"], p["status_code"]) for p in ak_sandbox.pushes()] == [(live["action_id"], 202)]

    take_action(ak_client, "e2e-petition", 3, comment="missed by webhook")
    poll_connection.delay(connection.pk)
    wait_until(lambda: OutboxMessage.objects.count() == 2, message="the poll to reconcile the missed action")
    poll_connection.delay(connection.pk)  # Sees all three again: nothing is processed twice.
    wait_until(lambda: Action.objects.filter(connection=connection).count() == 3, message="three actions")

    assert sorted(OutboxMessage.objects.values_list("body", flat=True)) == [
        "Hi Person2, thanks for signing Clean Water", "Hi Person3, thanks for signing Clean Water"]
    assert GroupMembership.objects.filter(group=page.group).count() == 3

    ug = ak_client._request("POST", "/rest/v1/usergroup/", json_body={"name": "E2E Volunteers"})
    ug_id = int(ug.location.rstrip("/").rsplit("/", 1)[-1])
    person1 = MemberLink.objects.get(connection=connection, ak_email="person1@example.org").ak_user_id
    ak_client.usergroup_add_user(ug_id, person1)
    poll_connection.delay(connection.pk)
    usergroup = wait_until(lambda: Usergroup.objects.filter(connection=connection, ak_id=ug_id).first(),
                           message="the usergroup list")
    usergroup_sync(usergroup=usergroup, actor=cast.alice)
    wait_until(lambda: GroupMembership.objects.filter(group__name="E2E Volunteers").count() == 1,
               message="the usergroup's group to fill")
    assert OutboxMessage.objects.count() == 2, worker.tail()
