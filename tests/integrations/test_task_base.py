"""Every task's base class (config.celery.AppTask): SQLite's "database is locked" reruns the task; nothing else does."""

import pytest
from django.db import OperationalError

from config.celery import LOCKED_RETRIES, app
from integrations import tasks
from integrations.services import imports


@pytest.fixture(autouse=True)
def _results_not_raised():
    """Eager retries run inside apply(); with propagation on, the first Retry would surface instead."""
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_a_task_that_meets_a_locked_sqlite_database_runs_again(monkeypatch):
    calls = []

    def sweep():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return 0

    monkeypatch.setattr(imports, "import_jobs_sweep", sweep)
    result = tasks.import_jobs_sweep.apply()
    assert result.successful()
    assert len(calls) == 2


def test_a_task_gives_up_after_its_locked_retries(monkeypatch):
    calls = []

    def sweep():
        calls.append(1)
        raise OperationalError("database is locked")

    monkeypatch.setattr(imports, "import_jobs_sweep", sweep)
    result = tasks.import_jobs_sweep.apply()
    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == LOCKED_RETRIES + 1


def test_other_database_errors_are_not_retried(monkeypatch):
    calls = []

    def sweep():
        calls.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(imports, "import_jobs_sweep", sweep)
    result = tasks.import_jobs_sweep.apply()
    assert result.failed()
    assert len(calls) == 1
