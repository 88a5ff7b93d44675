"""`make run`: migrate, seed the demo, then run web, three worker pools, beat and the ActionKit sandbox until stopped.

Everything runs on the embedded default (SQLite and kombu's filesystem broker in VAR_DIR, ./var by default), so no
server is needed. Ctrl-C, SIGTERM and SIGHUP (a closed terminal) stop every service within 10 s; a second run on the
same var/ refuses to start. The console shows one line per service, the URLs, warnings and errors, and the mail the
console backend prints (sign-up confirmations); requests and the sandbox's output go to files in var/log/.
"""

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import procs

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = os.environ.get("PORT", "8000")
SANDBOX_PORT = os.environ.get("SANDBOX_PORT", "8001")
VAR_DIR = Path(os.environ.get("VAR_DIR") or ROOT / "var").resolve()
LOG_DIR = VAR_DIR / "log"
HOST = "127.0.0.1"  # Loopback only: the demo has well-known passwords.
# Celery warns on every start as root (as in a container); the demo's JSON-only serializers make that harmless.
NO_ROOT_WARNING = ["-W", "ignore:You're running the worker with superuser privileges"]


class Stop(BaseException):
    """Raised by the signal handler; a BaseException so that no `except Exception` on the way swallows it."""


def main() -> int:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    lock = procs.RunLock(VAR_DIR)
    try:
        leftovers = lock.acquire()
    except procs.AlreadyRunning as running:
        pid = running.pid or "unknown"
        _say(f"AKbridge is already running (pid {pid}) on {VAR_DIR}/. Stop it with Ctrl-C in its terminal or "
             f"`kill -TERM {pid}`, or give this run its own VAR_DIR, PORT and SANDBOX_PORT.", err=True)
        return 1
    _handle_stop_signals()
    procs.die_with("make")
    services: dict[str, subprocess.Popen] = {}
    try:
        _stop_leftovers(leftovers)
        _refuse_busy_ports()
        env = _environment()
        _prepare(env)
        _start(services, lock, env)
        return _serve(services)
    except Stop:
        return 0
    except subprocess.CalledProcessError as failed:
        _say(f"`{' '.join(map(str, failed.cmd[1:4]))}` failed (exit {failed.returncode}); see above and "
             f"{LOG_DIR / 'setup.log'}.", err=True)
        return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # A second Ctrl-C or make's forwarded SIGTERM must not cut the stop short.
        _stop(services)
        lock.release()


def _say(text: str, *, err: bool = False) -> None:
    """Print to the console, which may be gone (a closed terminal answers EIO): stopping must go on regardless."""
    try:
        print(text, file=sys.stderr if err else sys.stdout, flush=True)
    except OSError:
        sys.stdout = sys.stderr = open(os.devnull, "w")  # For the rest of this process's life.


def _handle_stop_signals() -> None:
    stopping = []

    def handler(signum, frame):
        if not stopping:
            stopping.append(signum)
            raise Stop(signum)

    # Set explicitly: a background job starts with SIGINT ignored, and Python keeps an inherited SIG_IGN.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def _stop_leftovers(groups: dict[str, int]) -> None:
    """A run that was SIGKILLed (or lost power) may have left services behind: stop those of this var/ dir."""
    ours = {name: pgid for name, pgid in groups.items() if procs.group_is_ours(pgid, VAR_DIR)}
    if ours:
        names = ", ".join(f"{name} (pid {pgid})" for name, pgid in ours.items())
        _say(f"Stopping {names}, left running by an earlier run that did not stop cleanly.")
        procs.stop_groups(ours)


def _refuse_busy_ports() -> None:
    for name, port in (("PORT", PORT), ("SANDBOX_PORT", SANDBOX_PORT)):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # As gunicorn binds.
            try:
                sock.bind((HOST, int(port)))
            except OSError:
                raise SystemExit(f"Port {port} on {HOST} is in use by another program; set {name} to a free port.") from None


def _environment() -> dict:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "VAR_DIR": str(VAR_DIR)}
    if os.environ.get("RUN_WITH_ENV") != "1":
        # `make run` is the embedded default; RUN_WITH_ENV=1 keeps DATABASE_URL and REDIS_URL from the shell.
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ENVIRONMENT"):
            env.pop(name, None)
    # Django's debug 404 page lists every URL pattern; run as production does unless DEBUG is set in the shell.
    env.setdefault("DEBUG", "false")
    env.setdefault("LOG_FORMAT", "text")  # Warnings and errors reach the console as one readable line each.
    hosts = [host.strip() for host in env.get("ACTIONKIT_INSECURE_HOSTS", "").split(",") if host.strip()]
    hosts += [host for host in (f"127.0.0.1:{SANDBOX_PORT}", f"localhost:{SANDBOX_PORT}") if host not in hosts]
    env["ACTIONKIT_INSECURE_HOSTS"] = ",".join(hosts)  # The shell's hosts stay; the sandbox joins them.
    return env


def _prepare(env: dict) -> None:
    LOG_DIR.mkdir(exist_ok=True)
    _say(f"AKbridge: preparing {VAR_DIR} (migrate, static files, demo data)...")
    with open(LOG_DIR / "setup.log", "w") as log:
        _step([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env, log)
        _step([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], env, log)
        sandbox_db = VAR_DIR / "sandbox.sqlite3"
        if not sandbox_db.exists():
            # A first run gets a sandbox with people, pages, actions and usergroups to sync, so the demo shows something.
            _step([PY, "-m", "actionkit.sandbox", "seed", "--db", str(sandbox_db), "--users", "300", "--pages", "6",
                   "--actions", "400", "--usergroups", "4"], env, log)


def _step(cmd: list[str], env: dict, log) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, check=True)


# One worker per pool, as in production (docker-compose.yml, docs/operations.md), so a long poll or import never
# takes the slot a live delivery needs, nor the one a backfill sends from.
POOLS = {"live": ("live", "housekeeping"), "bulk": ("polls", "imports"), "backfills": ("backfills",)}


def _worker(pool: str) -> tuple[list[str], str]:
    # Gossip, mingle and heartbeat only coordinate workers; without them a worker stops twice as fast.
    return ([PY, *NO_ROOT_WARNING, "-m", "celery", "-A", "config", "--quiet", "worker", "-Q", ",".join(POOLS[pool]),
             "-n", f"{pool}@%h", "--concurrency", "2", "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"], f"Celery worker on queues {', '.join(POOLS[pool])}")


SERVICES = {  # name: (command, what the console says about it)
    "sandbox": ([PY, "-m", "actionkit.sandbox", "serve", "--host", HOST, "--port", SANDBOX_PORT, "--db",
                 str(VAR_DIR / "sandbox.sqlite3")], f"ActionKit sandbox on http://{HOST}:{SANDBOX_PORT}/"),
    "web": ([PY, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{PORT}", "--workers", "2",
             "--threads", "4", "--graceful-timeout", "4", "--access-logfile", str(LOG_DIR / "web-access.log"),
             "--log-level", "warning"], f"gunicorn on http://{HOST}:{PORT}/, 2 workers"),
    "worker-live": _worker("live"),
    "worker-bulk": _worker("bulk"),
    "worker-backfills": _worker("backfills"),
    "beat": ([PY, "-m", "celery", "-A", "config", "--quiet", "beat", "--loglevel", "WARNING", "--schedule",
              str(VAR_DIR / "celerybeat-schedule")], "Celery beat, the periodic sweeps and polls"),
}


# (services, seconds from SIGTERM to SIGKILL). An idle worker's warm shutdown takes 2-5 s on the filesystem broker.
STOP_WAVES = ((("web", "worker-live", "worker-bulk", "worker-backfills", "beat"), 6.5), (("sandbox",), 2.0))


def _start(services: dict, lock: procs.RunLock, env: dict) -> None:
    for name, (cmd, what) in SERVICES.items():
        services[name] = _spawn(name, cmd, env)
        lock.record(name, services[name].pid)
        _say(f"  {name:<16} pid {services[name].pid:<7} {what}")
    _wait_for(f"http://{HOST}:{SANDBOX_PORT}/_sandbox/stats", services["sandbox"])
    with open(LOG_DIR / "setup.log", "a") as log:
        _step([PY, "manage.py", "seed_demo", "--sandbox-host", f"{HOST}:{SANDBOX_PORT}", "--app-url",
               f"http://{HOST}:{PORT}"], env, log)
    _wait_for(f"http://{HOST}:{PORT}/login/", services["web"])


def _spawn(name: str, cmd: list[str], env: dict) -> subprocess.Popen:
    if name != "sandbox":  # They keep the console: warnings, errors and the console mail backend's messages.
        return procs.spawn(cmd, env=env, cwd=ROOT, var_dir=VAR_DIR, stdout=None)
    with open(LOG_DIR / "sandbox.log", "w") as log:  # Its banner repeats what run.py prints.
        return procs.spawn(cmd, env=env, cwd=ROOT, var_dir=VAR_DIR, stdout=log)


def _serve(services: dict) -> int:
    _say(f"\n  Open http://{HOST}:{PORT}/  and log in as  demo-admin / demo-admin-password\n"
         f"  ActionKit sandbox: http://{HOST}:{SANDBOX_PORT}/_sandbox/  (staff login demo-staff / demo-staff-password)\n"
         f"  Requests: {LOG_DIR / 'web-access.log'}. Press Ctrl-C to stop everything.\n")
    hangup = _hangup_watch()
    while all(proc.poll() is None for proc in services.values()):
        if hangup and hangup.poll(0):
            os.kill(os.getpid(), signal.SIGHUP)  # Stop as if the SIGHUP that only make, our session leader, got.
        time.sleep(0.5)
    dead = [name for name, proc in services.items() if proc.poll() is not None]
    _say(f"Stopping because {', '.join(dead)} exited; see above and {LOG_DIR}/.", err=True)
    return 1


def _hangup_watch():
    """A poll object that reports a hung-up controlling terminal, or None. When make is the session leader (a
    terminal running `make run` directly), the hangup's SIGHUP reaches make alone, which then waits for us."""
    if not sys.stdin or not sys.stdin.isatty() or not hasattr(select, "poll"):
        return None
    watch = select.poll()
    watch.register(sys.stdin.fileno(), select.POLLHUP)
    return None if watch.poll(0) else watch  # A terminal that reports at once (POLLNVAL: macOS) cannot be watched.


def _stop(services: dict) -> None:
    """Stop in two waves, each killed after its grace period, within 10 s in all. The sandbox goes last: a worker
    still delivering would log every send to a stopped sandbox as a failed attempt."""
    if not services:
        return
    _say("Stopping web, the workers, beat and the sandbox...")
    started, killed = time.monotonic(), []
    for names, grace in STOP_WAVES:
        wave = {name: services[name] for name in names if name in services}
        killed += procs.stop_groups({name: proc.pid for name, proc in wave.items()}, wave, grace=grace)
    note = f"; killed {', '.join(killed)}, which did not stop in time" if killed else ""
    _say(f"Stopped in {time.monotonic() - started:.1f} s{note}.")


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url} did not come up: its process exited.")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - a fixed loopback URL.
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout} s.")


if __name__ == "__main__":
    sys.exit(main())
