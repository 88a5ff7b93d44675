"""What /healthz reports: the database, the broker, beat, each live worker and the queues nobody consumes.

Beat and the workers are reported (and make `ok` false in `workers_ok`) but do not fail the web's own liveness:
the web still serves pages without them, and a load balancer must not restart web processes for a dead worker.
"""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from config.celery import Queues, app
from integrations.observability.beacons import beat_beacon, live_workers
from integrations.tasks import BEAT_HEARTBEAT_KEY

BEAT_STALE_AFTER = timedelta(minutes=3)


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


def _check_broker() -> tuple[bool, str]:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


def _check_beat_and_worker() -> tuple[bool, str]:
    """Beat queued its heartbeat tick and a deliveries worker ran it: the whole periodic path works."""
    seen = cache.get(BEAT_HEARTBEAT_KEY)
    if not seen:
        return False, "no heartbeat yet"
    age = timezone.now() - datetime.fromisoformat(seen)
    return age < BEAT_STALE_AFTER, f"last heartbeat {int(age.total_seconds())}s ago"


def _check_beat() -> tuple[bool, str]:
    beacon = beat_beacon()
    if not beacon:
        return False, "no beat process seen in the last 45s"
    return True, f"pid {beacon['pid']} on {beacon['host']}"


def _check_workers() -> tuple[bool, str, dict]:
    workers = live_workers()
    consumed = {queue for info in workers.values() for queue in info.get("queues", [])}
    missing = [queue for queue in Queues.ALL if queue not in consumed]
    detail = f"{len(workers)} live" + (f"; no worker consumes {', '.join(missing)}" if missing else "")
    return bool(workers) and not missing, detail, {name: info.get("queues", []) for name, info in workers.items()}


def health_report() -> dict:
    checks = {"database": _check_database(), "broker": _check_broker(), "beat_and_worker": _check_beat_and_worker(),
              "beat": _check_beat()}
    workers_ok, workers_detail, workers = _check_workers()
    ok = checks["database"][0] and checks["broker"][0]
    report = {"ok": ok, "checks": {name: {"ok": passed, "detail": detail} for name, (passed, detail) in checks.items()}}
    report["checks"]["workers"] = {"ok": workers_ok, "detail": workers_detail, "workers": workers}
    report["workers_ok"] = workers_ok and checks["beat"][0] and checks["beat_and_worker"][0]
    return report
