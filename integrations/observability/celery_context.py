"""Celery signal handlers: task correlation ids for the JSON logs, and the worker/beat liveness beacons.

A task queued during a web request carries that request's correlation id in a message header, so one id follows
a contribution from the API call to its ActionKit delivery. A task queued by beat gets its own task id.
"""

from celery import signals

from config.logging import correlation_id, task_context
from integrations.observability.beacons import start_beat_beacon, start_worker_beacon

HEADER = "request_correlation_id"  # Not "correlation_id": Celery uses that name for the task id.
_tokens: dict[str, tuple] = {}


@signals.before_task_publish.connect
def _attach_correlation_id(sender=None, headers=None, **kwargs):
    current = correlation_id.get()
    if headers is not None and current != "-":
        headers.setdefault(HEADER, current)


@signals.task_prerun.connect
def _enter_task(sender=None, task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    incoming = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    current = correlation_id.get()
    if isinstance(incoming, str) and incoming.isalnum() and len(incoming) <= 64:
        value = incoming
    elif current != "-":  # An eager task run inline inside a request keeps the request's id.
        value = current
    else:
        value = (task_id or "-").replace("-", "")
    _tokens[task_id] = (correlation_id.set(value), task_context.set({"task_id": task_id, "task": getattr(sender, "name", "")}))


@signals.task_postrun.connect
def _leave_task(sender=None, task_id=None, **kwargs):
    tokens = _tokens.pop(task_id, None)
    if tokens:
        correlation_id.reset(tokens[0])
        task_context.reset(tokens[1])


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    queues = sorted(queue.name for queue in sender.app.amqp.queues.consume_from.values()) if sender else []
    start_worker_beacon(getattr(sender, "hostname", "worker"), queues)


@signals.beat_init.connect
def _beat_ready(sender=None, **kwargs):
    start_beat_beacon()
