"""`make run`: migrate, seed the demo, then run web, worker, beat and the ActionKit sandbox until Ctrl-C.

Everything runs on the embedded default (SQLite and kombu's filesystem broker), so no server is needed.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = os.environ.get("PORT", "8000")
SANDBOX_PORT = os.environ.get("SANDBOX_PORT", "8001")


def main() -> int:
    env = {**os.environ, "ACTIONKIT_INSECURE_HOSTS": f"127.0.0.1:{SANDBOX_PORT},localhost:{SANDBOX_PORT}",
           "PYTHONUNBUFFERED": "1"}
    if os.environ.get("RUN_WITH_ENV") != "1":
        # `make run` is the embedded default; RUN_WITH_ENV=1 keeps DATABASE_URL and REDIS_URL from the shell.
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ENVIRONMENT"):
            env.pop(name, None)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    sandbox_db = ROOT / "var" / "sandbox.sqlite3"
    if not sandbox_db.exists():
        # A first run gets a sandbox with people, pages, actions and usergroups to sync, so the demo shows something.
        subprocess.run([PY, "-m", "actionkit.sandbox", "seed", "--db", str(sandbox_db), "--users", "300", "--pages", "6",
                        "--actions", "400", "--usergroups", "4"], cwd=ROOT, env=env, check=True)
    commands = {
        "sandbox": [PY, "-m", "actionkit.sandbox", "serve", "--host", "127.0.0.1", "--port", SANDBOX_PORT,
                    "--db", str(sandbox_db)],
        "web": [PY, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{PORT}", "--workers", "2",
                "--threads", "4", "--access-logfile", "-", "--log-level", "warning"],
        "worker": [PY, "-m", "celery", "-A", "config", "worker", "-Q", "deliveries,polls,backfills", "--concurrency", "2",
                   "--loglevel", "WARNING"],
        "beat": [PY, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING", "--schedule",
                 str(ROOT / "var" / "celerybeat-schedule")],
    }
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True) for name, cmd in commands.items()}
    try:
        _wait_for(f"http://127.0.0.1:{SANDBOX_PORT}/_sandbox/stats", procs["sandbox"])
        subprocess.run([PY, "manage.py", "seed_demo", "--sandbox-host", f"127.0.0.1:{SANDBOX_PORT}", "--app-url",
                        f"http://127.0.0.1:{PORT}"], cwd=ROOT, env=env, check=True)
        _wait_for(f"http://127.0.0.1:{PORT}/login/", procs["web"])
        print(f"\n  Open http://127.0.0.1:{PORT}/  and log in as  demo-admin / demo-admin-password\n"
              f"  ActionKit sandbox: http://127.0.0.1:{SANDBOX_PORT}/_sandbox/  (staff login demo-staff / demo-staff-password)\n"
              "  Press Ctrl-C to stop everything.\n", flush=True)
        while all(proc.poll() is None for proc in procs.values()):
            time.sleep(1)
        dead = [name for name, proc in procs.items() if proc.poll() is not None]
        print(f"Stopped because {', '.join(dead)} exited.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


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
