"""A test-only integration kind that sends each outbox row to the sandbox's ActBlue endpoint with the real client.

The fault suite drives the hub's generic outbox through it, so the same worker, sweeper, client, shared rate
limiter and sandbox are exercised as by the contributions pipeline. The test process registers it only for the
duration of a fault test (other suites' hub pages must not show its tile); the worker subprocess registers it with
`celery worker --include tests.faults.worker_include`. Only `integrations.registry` is imported at module level
because Celery may import the include before Django is set up.
"""

from integrations.registry import Kind, Outcome, register_kind

SLUG = "faultprobe"


def send(connection, delivery) -> Outcome:
    from actionkit import errors
    from actionkit.factory import client_for

    client = client_for(connection)
    try:
        result = client.actblue_notify(account=connection.config["account"], notification=delivery.payload)
    except errors.ActionKitUnauthorized as exc:
        return Outcome(Outcome.HALT, exc.status_code, str(exc))
    except errors.ActionKitRateLimited as exc:
        return Outcome(Outcome.RETRYABLE, exc.status_code, str(exc), retry_after=getattr(exc, "retry_after", None))
    except errors.ActionKitError as exc:
        return Outcome(Outcome.RETRYABLE if exc.retryable else Outcome.PERMANENT, exc.status_code, str(exc))
    finally:
        client.close()
    return Outcome(Outcome.SUCCESS, result["status_code"], remote_ref=result.get("location") or "")


KIND = Kind(slug=SLUG, title="Fault probe", description="Test-only: sends outbox rows to the sandbox.",
            connect_url="integrations:hub", detail_url="integrations:hub", order=999, send=send)


def register() -> None:
    register_kind(KIND)
