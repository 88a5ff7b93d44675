"""Run the compatibility check on a saved connection and keep its answer in ``Connection.config["ak_compat"]``.

Callers: the connect forms (actionkit.verify.connection_check runs the same probes before anything is saved), the
"Check again" buttons, the daily beat (actionkit.tasks), and any stream that meets a refused resource at run time.
"""

import logging

from django.db import transaction
from django.utils import timezone

from actionkit import compat, errors
from actionkit.factory import bulk_client_for
from actionkit.tasks import compat_check as compat_check_task
from config.celery import Queues
from integrations.models import Connection

logger = logging.getLogger(__name__)
CONFIG_KEY = "ak_compat"


def compat_result(connection: Connection) -> dict | None:
    return (connection.config or {}).get(CONFIG_KEY)


def compat_run(*, client, kind: str, config: dict) -> dict:
    """The probes' answer, or a result holding only ``error`` when the check could not run to the end."""
    now = timezone.now().isoformat(timespec="seconds")
    try:
        return compat.compat_probe(client, checked_at=now, **compat.probe_kwargs(kind, config))
    except errors.ActionKitUnauthorized as exc:
        return {"checked_at": now, "error": f"{exc.message} Reconnect with working staff credentials.", "probes": []}
    except errors.ActionKitError as exc:
        return {"checked_at": now, "error": f"The check could not finish: {exc.message} Use Check again.", "probes": []}
    except Exception:  # A fault in a probe must never block connecting or a poll; it is logged and shown.
        logger.exception("actionkit.compat.crashed")
        return {"checked_at": now, "error": "The check could not finish (an internal error). Use Check again.",
                "probes": []}


def compat_check(*, connection_id: int) -> dict | None:
    """Probe the connection's instance now and store the answer; None when the connection is gone or disconnected."""
    connection = Connection.objects.filter(pk=connection_id).exclude(status=Connection.Status.DISCONNECTED).first()
    if connection is None:
        return None
    client = bulk_client_for(connection)
    result = compat_run(client=client, kind=connection.kind, config=connection.config)
    compat_store(connection=connection, result=result)
    logger.info("actionkit.compat.checked", extra={"connection_id": connection.pk,
                                                    "failed": [p["key"] for p in result["probes"]
                                                               if p["status"] == compat.FAILED]})
    return result


@transaction.atomic
def compat_store(*, connection: Connection, result: dict) -> None:
    """Write only the check's key, under a row lock, so a settings change saved meanwhile is kept."""
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    locked.config = {**locked.config, CONFIG_KEY: result}
    locked.save(update_fields=["config", "updated_at"])
    connection.config = locked.config


def compat_forbidden_record(*, connection: Connection, resource: str) -> None:
    """A stream met a refused resource: mark its read probe failed, so only what needs it stops until a new check."""
    compat_store(connection=connection, result=compat.forbidden_apply(compat_result(connection), resource))
    logger.warning("actionkit.compat.forbidden", extra={"connection_id": connection.pk, "resource": resource})


def compat_check_all() -> int:
    """Daily: queue one check per connected ActionKit connection."""
    ids = list(Connection.objects.filter(kind__in=list(compat.NEEDS)).exclude(
        status=Connection.Status.DISCONNECTED).values_list("pk", flat=True))
    for connection_id in ids:
        compat_check_task.apply_async((connection_id,), queue=Queues.POLLS)
    return len(ids)
