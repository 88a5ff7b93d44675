"""A real Celery worker (and optionally beat) as subprocesses, sharing the test database and broker.

End-to-end tests use `celery_worker` with `transactional_db` so the worker sees committed rows. Time constants
are passed through the environment, so retry and sweep behaviour runs in seconds.
"""

import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.plugins import processes

ROOT = Path(__file__).resolve().parents[2]

FAST_TIMINGS = {
    "DELIVERY_BACKOFF_BASE_SECONDS": "0.5",
    "DELIVERY_BACKOFF_MAX_SECONDS": "3",
    "DELIVERY_CLAIM_TIMEOUT_SECONDS": "6",
    "SWEEP_INTERVAL_SECONDS": "2",
    "CONNECTION_ERROR_AFTER_FAILURES": "2",
    "ACTIONKIT_READ_TIMEOUT": "2",
}


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def purge_broker() -> None:
    from config.celery import Queues, app

    if django_settings.CELERY_BROKER_URL.startswith("filesystem"):
        folder = Path(django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return
    with app.connection_for_write() as conn:
        for queue in Queues.ALL:
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:
                pass


class WorkerProcess:
    extra_args: tuple[str, ...] = ()  # Subclasses add worker options, e.g. `--include` of a module of test tasks.

    def __init__(self, env: dict, queues: str, concurrency: int, beat: bool):
        self.env, self.queues, self.concurrency, self.beat = env, queues, concurrency, beat
        self.proc = None
        self.beat_proc = None
        self.log = ROOT / "var" / "test" / f"worker-{os.getpid()}-{time.monotonic_ns()}.log"
        # Its own node name, so two workers of one test (a live and a bulk pool) are two nodes with two beacons.
        self.node = f"{self.log.stem}@%h"

    def start(self) -> "WorkerProcess":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queues, "-n", self.node,
               "--concurrency", str(self.concurrency), "--loglevel", "INFO", "--without-gossip", "--without-mingle",
               "--without-heartbeat", *self.extra_args]
        out = open(self.log, "ab")  # noqa: SIM115 - kept open for the process lifetime.
        self.proc = processes.spawn(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=out)
        if self.beat:
            beat_cmd = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO", "--schedule",
                        str(self.log.with_suffix(".beat"))]
            self.beat_proc = processes.spawn(beat_cmd, cwd=ROOT, env=self.env, stdout=out, stderr=out)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log.read_text()[-3000:]}")
            if b"ready." in self.log.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the worker's whole process group, the way a crashed machine would."""
        for proc in (self.proc, self.beat_proc):
            processes.stop(proc, sig=sig, grace=30)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM lets running tasks finish); SIGKILL after 15 s."""
        for proc in (self.proc, self.beat_proc):
            processes.stop(proc)

    def restart(self) -> "WorkerProcess":
        self.stop()
        return self.start()

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@pytest.fixture
def celery_worker(transactional_db, settings, request):
    """Factory: `worker = celery_worker(env={...}, queues="live,housekeeping", beat=False)`. Stopped after the test."""
    from config.celery import app

    started: list[WorkerProcess] = []
    app.conf.task_always_eager = False
    purge_broker()
    # The test process runs services too (sweeps, enqueues), so it uses the same fast timings as the worker.
    settings.DELIVERY_BACKOFF_BASE_SECONDS = 0.5
    settings.DELIVERY_BACKOFF_MAX_SECONDS = 3.0
    settings.DELIVERY_CLAIM_TIMEOUT_SECONDS = 6
    settings.SWEEP_INTERVAL_SECONDS = 2
    settings.CONNECTION_ERROR_AFTER_FAILURES = 2
    settings.ACTIONKIT_TIMEOUT = (2.0, 2.0)

    def start(*, env: dict | None = None, queues: str = "live,housekeeping,polls,backfills,imports", concurrency: int = 2,
              beat: bool = False) -> WorkerProcess:
        worker = WorkerProcess(_process_env(env), queues, concurrency, beat).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    app.conf.task_always_eager = True


def _process_env(extra: dict | None = None) -> dict:
    """The environment of a worker or web process: the test database, broker and fast timings."""
    return {**os.environ, **FAST_TIMINGS, "DATABASE_URL": test_database_url(), "VAR_DIR": str(django_settings.VAR_DIR),
            "PYTHONUNBUFFERED": "1", "ACTIONKIT_INSECURE_HOSTS": ",".join(django_settings.ACTIONKIT_INSECURE_HOSTS), **(extra or {})}


@pytest.fixture
def web_server(transactional_db):
    """The app as production serves it (gunicorn, config.wsgi:application) on a free loopback port, sharing the
    test database. Yields its base URL, e.g. for the sandbox's push endpoints."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = ROOT / "var" / "test" / f"web-{os.getpid()}-{time.monotonic_ns()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = processes.spawn([sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
                                f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--log-level", "warning"],
                               cwd=ROOT, env=_process_env({"DEBUG": "false"}), stdout=out, stderr=out)
    try:
        wait_until(lambda: _answers(port) or proc.poll() is not None, timeout=30, message="gunicorn to listen")
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(proc, grace=20)


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_until(predicate, *, timeout: float = 30, interval: float = 0.2, message: str = "condition"):
    """Poll until predicate() is truthy; the failure says what was awaited. Not a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")
