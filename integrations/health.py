"""What /healthz reports: the database, the broker, beat, each live worker, and how long ago each queue's work ran.

`ok` is true only when all of them are: the web alone answering is not health, a bridge whose live deliveries wait
for a worker that never comes is down. Load balancers and container health checks use /readyz (the web process
itself) instead, so a dead worker never gets web processes restarted.

Each queue's heartbeat is a tiny task beat sends every HEARTBEAT_SECONDS (config/celery.py): its age is how long a
task on that queue waits for a worker, so a pool that is alive but whose every slot is stuck shows up too.
"""

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from config.celery import Queues, app
from integrations.observability.beacons import beat_beacon, heartbeat_seen, live_workers

# How old a queue's last heartbeat may be. Live work and housekeeping are seconds long, so a few missed 30 s beats
# already mean trouble; bulk tasks wait their turn behind a poll fan-out or a backfill's chain of 15 s tasks.
STALE_AFTER = {Queues.LIVE: timedelta(minutes=2), Queues.HOUSEKEEPING: timedelta(minutes=2),
               Queues.POLLS: timedelta(minutes=15), Queues.BACKFILLS: timedelta(minutes=15),
               Queues.IMPORTS: timedelta(minutes=15)}
BEAT_STALE_AFTER = STALE_AFTER[Queues.HOUSEKEEPING]  # Beat's tick proves beat and the housekeeping pool alive.


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


def _check_queue(queue: str, now) -> dict:
    """When a worker last took this queue's heartbeat (housekeeping: beat's own tick)."""
    seen = heartbeat_seen(queue)
    if not seen:
        return {"ok": False, "detail": "no heartbeat taken yet", "age_seconds": None}
    age = now - datetime.fromisoformat(seen)
    limit = int(STALE_AFTER[queue].total_seconds())
    return {"ok": age < STALE_AFTER[queue], "age_seconds": int(age.total_seconds()),
            "detail": f"last heartbeat {int(age.total_seconds())}s ago (stale after {limit}s)"}


def health_report() -> dict:
    now = timezone.now()
    checks = {name: {"ok": passed, "detail": detail} for name, (passed, detail) in
              (("database", _check_database()), ("broker", _check_broker()), ("beat", _check_beat()))}
    workers_ok, workers_detail, workers = _check_workers()
    checks["workers"] = {"ok": workers_ok, "detail": workers_detail, "workers": workers}
    queues = {queue: _check_queue(queue, now) for queue in Queues.ALL}
    checks["queues"] = {"ok": all(q["ok"] for q in queues.values()), "queues": queues,
                        "detail": ", ".join(f"{name} stale" for name, q in queues.items() if not q["ok"]) or "ok"}
    report = {"ok": all(check["ok"] for check in checks.values()), "checks": checks}
    # Kept for dashboards that read it: everything but the web's own database and broker.
    report["workers_ok"] = workers_ok and checks["beat"]["ok"] and checks["queues"]["ok"]
    return report
