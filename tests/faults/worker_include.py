"""Imported by the fault suite's worker (`celery worker --include tests.faults.worker_include`): the probe kind."""

from tests.faults.probe_kind import register

register()
