"""The webhook and the poll taking in the same actions at the same moment: each action is processed once."""

import threading

import pytest
from django.db import connection as db_connection

from strive.activity.mapping import action_from_ak
from strive.activity.models import Action, AutomationRun, OutboxMessage
from strive.activity.services.actions import actions_ingest
from strive.activity.services.automations import automation_save


@pytest.mark.django_db(transaction=True)
def test_racing_ingests_process_each_action_exactly_once(activity_connection, synced_page, fake_ak, cast):
    automation_save(page=synced_page, template="Hi {{first_name}}", enabled=True, actor=cast.alice)
    for user in range(1, 11):
        fake_ak.add_user(user)
    # Link the ten users first, so the race is about the actions, not about creating members.
    actions_ingest(connection=activity_connection, client=fake_ak, source="poll",
                   items=[action_from_ak(fake_ak.add_action(u, page=10, user=u)) for u in range(1, 11)])
    items = [action_from_ak(fake_ak.add_action(100 + n, page=10, user=1 + n % 10)) for n in range(200)]
    processed, errors, start = [], [], threading.Barrier(2)

    def ingest(source: str) -> None:
        try:
            start.wait()
            for i in range(0, 200, 20):
                processed.append(actions_ingest(connection=activity_connection, items=items[i:i + 20], source=source,
                                                client=fake_ak).processed)
        except Exception as exc:  # Reported below; a thread's exception would otherwise vanish.
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=ingest, args=(source,)) for source in ("webhook", "poll")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(processed) == 200
    assert Action.objects.filter(ak_id__gte=100).count() == 200
    assert not Action.objects.filter(processed_at__isnull=True).exists()
    assert AutomationRun.objects.filter(action__ak_id__gte=100).count() == 200
    assert OutboxMessage.objects.count() == 210
