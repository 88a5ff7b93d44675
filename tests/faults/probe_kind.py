"""A test-only integration kind that sends each outbox row to the sandbox's ActBlue endpoint with the real client.

The fault suite drives the hub's generic outbox through it, so the same worker, sweeper, client, shared rate
limiter and sandbox are exercised as by the contributions pipeline. The test process registers it only for the
duration of a fault test (other suites' hub pages must not show its tile); the worker subprocess registers it with
`celery worker --include tests.faults.worker_include`. Errors become outcomes through `actionkit.outcomes.outcome_for`,
as for every real sender. Nothing that needs Django's models is imported at module level, because Celery may import
the include before Django is set up.
"""

from actionkit import errors
from actionkit.outcomes import outcome_for
from integrations.registry import Kind, Outcome, register_kind

SLUG = "faultprobe"


def send(connection, delivery) -> Outcome:
    from actionkit.factory import client_for

    client = client_for(connection)
    try:
        result = client.actblue_notify(account=connection.config["account"], notification=delivery.payload)
    except errors.ActionKitError as exc:
        return outcome_for(exc)
    finally:
        client.close()
    return Outcome(Outcome.SUCCESS, result["status_code"], remote_ref=result.get("location") or "")


KIND = Kind(slug=SLUG, title="Fault probe", description="Test-only: sends outbox rows to the sandbox.",
            connect_url="integrations:hub", detail_url="integrations:hub", order=999, send=send)


def register() -> None:
    register_kind(KIND)
