"""JSON logs carry a correlation id per request and per task, and never a secret, whatever the caller passes."""

import json
import logging

import pytest
from celery import shared_task

from config.logging import CorrelationIdFilter, JsonFormatter, correlation_id

SECRET = "s3cr3t-Password-4242"


@pytest.fixture
def json_lines():
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def test_secret_values_are_redacted_at_any_depth(json_lines):
    logging.getLogger("t").warning("connect failed", extra={
        "password": SECRET, "payload": {"donor": {"email": "d@example.org", "secrets": {"password": SECRET}}},
        "headers": [{"Authorization": f"Basic {SECRET}"}]})
    text = json.dumps(json_lines)
    assert SECRET not in text and "d@example.org" not in text
    assert json_lines[0]["password"] == "[redacted]"


def test_credentials_in_messages_and_tracebacks_are_masked(json_lines):
    log = logging.getLogger("t")
    log.error("GET https://staff:%s@ak.example.org/rest/v1/ failed; password=%s", SECRET, SECRET)
    log.error("headers {'Authorization': 'Basic c3RhZmY6czNjcjN0LVBhc3N3b3JkLTQyNDI='}")
    log.warning("no ActionKit user for donor@example.org")
    try:
        raise RuntimeError(f"login refused for token={SECRET}")
    except RuntimeError:
        log.exception("crashed")
    text = json.dumps(json_lines)
    assert SECRET not in text
    assert "c3RhZmY6czNjcjN0LVBhc3N3b3JkLTQyNDI=" not in text and "donor@example.org" not in text
    assert "ak.example.org" in text  # The useful part survives.


@pytest.mark.django_db
def test_every_request_log_line_has_the_request_id(client, json_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="abc123def")
    assert response.status_code == 404 and response["X-Request-ID"] == "abc123def"
    not_found = [line for line in json_lines if line["logger"] == "django.request"]
    assert not_found and all(line["correlation_id"] == "abc123def" for line in not_found)
    generated = client.get("/no-such-page/", HTTP_X_REQUEST_ID="not-alnum!")["X-Request-ID"]
    assert generated != "not-alnum!" and len(generated) == 32
    logging.getLogger("t").info("outside any request")
    assert json_lines[-1]["correlation_id"] == "-"


def test_task_log_lines_carry_the_task_id_and_the_publishing_request_id(json_lines):
    """Runs the real Celery signal path: publish headers carry the id, prerun sets it, postrun clears it."""
    from integrations.observability import celery_context

    token = correlation_id.set("req42")
    headers: dict = {}
    celery_context._attach_correlation_id(headers=headers)
    correlation_id.reset(token)
    assert headers == {"request_correlation_id": "req42"}

    class Request:
        correlation_id = "0f-11"  # Celery's own field: the task id. Ours must not be read from it.
        request_correlation_id = "req42"

    class Task:
        request = Request()
        name = "tests.ops.log_probe"

    celery_context._enter_task(sender=Task, task_id="0f-11", task=Task)
    logging.getLogger("probe").info("inside task")
    celery_context._leave_task(sender=Task, task_id="0f-11")
    logging.getLogger("probe").info("after task")
    inside, after = json_lines[-2], json_lines[-1]
    assert (inside["correlation_id"], inside["task_id"], inside["task"]) == ("req42", "0f-11", "tests.ops.log_probe")
    assert after["correlation_id"] == "-" and "task_id" not in after


def test_a_beat_task_gets_its_own_id(json_lines):
    # Defined here, not at import: registering a task finalizes the Celery app for every test collected after.
    @shared_task(name="tests.ops.log_probe")
    def log_probe():
        logging.getLogger("probe").info("inside task")

    log_probe.apply()  # Eager, outside a request: Celery's own signals fire.
    line = next(entry for entry in json_lines if entry["event"] == "inside task")
    assert line["correlation_id"] not in ("-", "") and line["task"] == "tests.ops.log_probe"
    assert line["correlation_id"] == line["task_id"].replace("-", "")
