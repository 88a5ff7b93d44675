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


def sweep_that_always_fails(monkeypatch, message: str) -> list[int]:
    """Make the sweep's service raise OperationalError(message) on every call; returns the list of its calls."""
    calls = []

    def sweep():
        calls.append(1)
        raise OperationalError(message)

    monkeypatch.setattr(imports, "import_jobs_sweep", sweep)
    return calls


def test_a_task_gives_up_after_its_locked_retries(monkeypatch):
    calls = sweep_that_always_fails(monkeypatch, "database is locked")
    result = tasks.import_jobs_sweep.apply()
    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == LOCKED_RETRIES + 1


def test_other_database_errors_are_not_retried(monkeypatch):
    calls = sweep_that_always_fails(monkeypatch, "server closed the connection unexpectedly")
    result = tasks.import_jobs_sweep.apply()
    assert result.failed()
    assert len(calls) == 1
