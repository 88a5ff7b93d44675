"""Fuzzing the API with schemathesis from the project's own OpenAPI schema (drf-spectacular, /api/schema/).

Every operation in the schema gets valid and malformed inputs, authenticated with a real per-entity key and sent
through the WSGI app in-process. Rules: no 5xx ever, and every 4xx names its reason in JSON (`detail` or
`error`). The example count is bounded so the run stays short; new endpoints are covered as soon as they are in
the schema.
"""

import json

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode

from integrations.services.api_keys import api_credential_create

EXAMPLES_PER_MODE = 25


@pytest.fixture(autouse=True)
def _keep_the_test_transaction_open():
    """The WSGI app closes the database connection after each request, which would end the test's transaction;
    Django's own test client disconnects the same handler."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _reason(response) -> str:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or "")
    return ""


def _fuzz(operation, mode: GenerationMode, headers: dict, problems: list[str]) -> None:
    @hypothesis.settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        where = f"{operation.label} [{mode.value}] {case.method} {case.formatted_path} body={str(case.body)[:200]!r}"
        if response.status_code >= 500:
            problems.append(f"{response.status_code} from {where}")
        elif response.status_code >= 400 and not _reason(response):
            problems.append(f"{response.status_code} without a reason from {where}: {response.content[:200]!r}")

    run()


@pytest.mark.django_db
def test_the_api_survives_fuzzing(cast):
    from config.wsgi import application

    _, key = api_credential_create(entity=cast.entity_a, name="fuzz", actor=None)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4, "the schema lists fewer operations than the API has"
    problems: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, {"Authorization": f"Bearer {key}"}, problems)
    assert not problems, "\n".join(problems[:30])


@pytest.mark.django_db
def test_fuzzing_without_a_key_gets_401_with_a_reason(cast):
    from config.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    for result in schema.get_all_operations():
        operation = result.ok()
        case = operation.as_strategy(generation_mode=GenerationMode.POSITIVE).example()
        case.path_parameters = {name: 1 for name in (case.path_parameters or {})}  # A path that resolves.
        response = case.call(headers={"Authorization": ""})
        assert response.status_code == 401 and _reason(response), (operation.label, response.status_code)
