"""What /healthz reports: the database, the broker, and whether beat and a worker have been seen lately."""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

BEAT_STALE_AFTER = timedelta(minutes=3)


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


def _check_broker() -> tuple[bool, str]:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


def _check_beat_and_worker() -> tuple[bool, str]:
    from integrations.tasks import BEAT_HEARTBEAT_KEY

    seen = cache.get(BEAT_HEARTBEAT_KEY)
    if not seen:
        return False, "no heartbeat yet"
    age = timezone.now() - datetime.fromisoformat(seen)
    return age < BEAT_STALE_AFTER, f"last heartbeat {int(age.total_seconds())}s ago"


def health_report() -> dict:
    checks = {"database": _check_database(), "broker": _check_broker(), "beat_and_worker": _check_beat_and_worker()}
    # Beat and the workers are reported but do not fail the web's own liveness: the web still serves pages without them.
    ok = checks["database"][0] and checks["broker"][0]
    return {"ok": ok, "checks": {name: {"ok": passed, "detail": detail} for name, (passed, detail) in checks.items()}}
