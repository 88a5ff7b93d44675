"""The compatibility check runs daily on the polls queue, one task per connected ActionKit connection."""

import pytest

from actionkit import services
from config.celery import Queues, beat_schedule
from integrations.models import Connection


def test_the_beat_runs_the_check_daily_on_the_polls_queue():
    entry = beat_schedule()["actionkit-compat-check-all"]
    assert entry["task"] == "actionkit.compat_check_all"
    assert entry["schedule"] == 24 * 60 * 60 and entry["options"]["queue"] == Queues.POLLS


@pytest.mark.django_db
def test_it_queues_one_check_per_connected_actionkit_connection(cast, monkeypatch):
    queued = []
    monkeypatch.setattr(services.compat_check_task, "apply_async",
                        lambda args, queue: queued.append((args, queue)))
    live = Connection.objects.create(entity=cast.entity_a, kind="strive_actionkit", host="a.example.org")
    Connection.objects.create(entity=cast.entity_b, kind="actblue_actionkit", host="b.example.org",
                              status=Connection.Status.DISCONNECTED)
    assert services.compat_check_all() == 1
    assert queued == [((live.pk,), Queues.POLLS)]
