"""`make run` starts, stops and restarts cleanly: scripts/run.py as a newcomer runs it, each run on a VAR_DIR of its own.

The children get the embedded default (no DATABASE_URL or REDIS_URL, even in CI) and free loopback ports. One running
instance is shared by the tests that only look at it; the stop tests start their own, on one shared VAR_DIR.
"""

import fcntl
import http.cookiejar
import os
import pty
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MARKER = "AKBRIDGE_RUN_VAR_DIR"  # scripts/procs.py puts it in every service's environment.
STOP_WITHIN_SECONDS = 10.0
SHELL_INSECURE_HOST = "127.0.0.1:9"  # What a developer exported before `make run`; it must survive.
# What the shell may hold that must not reach a newcomer's `make run` (CI exports the first two).
NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ENVIRONMENT", "RUN_WITH_ENV", "DEBUG", "LOG_FORMAT",
                 "ACTIONKIT_INSECURE_HOSTS", "PORT", "SANDBOX_PORT")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a zombie holds no port, file or broker message)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _processes() -> dict[int, tuple[int, int]]:
    """pid: (ppid, pgid) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            found[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return found


def _marked(var_dir: Path) -> set[int]:
    """Running processes started by a run on var_dir, found by the marker in their environment."""
    wanted = f"{MARKER}={var_dir}".encode()
    pids = set()
    for pid in _processes():
        try:
            if wanted in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") and _running(pid):
                pids.add(pid)
        except OSError:
            continue
    return pids


class Run:
    """scripts/run.py in a session of its own, its console in var_dir/console-<n>.log."""

    def __init__(self, var_dir: Path, *, ignore_sigint: bool = False, extra_env: dict | None = None):
        self.var_dir, self.port, self.sandbox_port = var_dir, _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.console = var_dir / f"console-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env.update({"VAR_DIR": str(var_dir), "PORT": str(self.port), "SANDBOX_PORT": str(self.sandbox_port),
                    **(extra_env or {})})
        var_dir.mkdir(parents=True, exist_ok=True)
        self._start(env, ignore_sigint)

    def _start(self, env: dict, ignore_sigint: bool) -> None:
        with open(self.console, "wb") as out:
            # A job started in the background by a non-interactive shell inherits SIGINT ignored.
            self.proc = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
                                         if ignore_sigint else None)

    def text(self) -> str:
        return self.console.read_text(errors="replace")

    def wait_ready(self, timeout: float = 180) -> set[int]:
        """Wait until the app answers and run.py says it is up; return the pids of run.py's whole process tree."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"run.py exited with {self.proc.returncode}:\n{self.text()[-4000:]}")
            if "Press Ctrl-C" in self.text() and _get(self.url + "/login/")[0] == 200:
                return self.tree()
            time.sleep(0.3)
        raise AssertionError(f"run.py did not come up within {timeout} s:\n{self.text()[-4000:]}")

    def groups(self) -> dict[str, int]:
        """The services' process groups as run.pid records them, if run.pid is this run's."""
        path = self.var_dir / "run.pid"
        lines = path.read_text().split() if path.exists() else []
        if not lines or int(lines[0]) not in self._descendants(groups=set()):
            return {}
        return {name: int(pgid) for name, _, pgid in (line.partition("=") for line in lines[1:])}

    def tree(self) -> set[int]:
        """run.py and every running process below it or in one of its services' groups."""
        return {pid for pid in self._descendants(groups=set(self.groups().values())) if _running(pid)}

    def _descendants(self, *, groups: set[int]) -> set[int]:
        processes = _processes()
        pids, added = {self.proc.pid}, True
        while added:
            more = {pid for pid, (ppid, pgid) in processes.items() if ppid in pids or pgid in groups} - pids
            pids |= more
            added = bool(more)
        return pids

    def stop_and_measure(self, sig: int, pids: set[int]) -> float:
        """Send sig to run.py; return the seconds until every pid of its tree was gone."""
        started = time.monotonic()
        os.kill(self.proc.pid, sig)
        while time.monotonic() - started < 30:
            if sig != signal.SIGKILL:
                self.proc.poll()
            if not any(_running(pid) for pid in pids):
                return time.monotonic() - started
            time.sleep(0.05)
        left = sorted(pid for pid in pids if _running(pid))
        raise AssertionError(f"still running 30 s after signal {sig}: {left}\n{self.text()[-3000:]}")

    def cleanup(self) -> None:
        """Stop whatever a failed test left of this run, by pid and process group, never by name."""
        pids = self.tree() if self.proc.poll() is None else set()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in pids:
            if _running(pid):
                try:
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


class TerminalRun(Run):
    """`make run` typed into a terminal that then closes: a session leader on a pseudo-terminal that, as make does,
    catches the hangup's SIGHUP and waits for run.py, which gets no signal at all."""

    LEADER = ("import signal, subprocess, sys; signal.signal(signal.SIGHUP, lambda *args: None); "
              "sys.exit(subprocess.call([sys.executable, 'scripts/run.py']))")

    def _start(self, env: dict, ignore_sigint: bool) -> None:
        self.console.touch()
        self.terminal, tty = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-c", self.LEADER], cwd=ROOT, env=env, stdin=tty, stdout=tty,
                                     stderr=tty, start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(tty)
        self._reading = True
        self._reader = threading.Thread(target=self._copy, daemon=True)
        self._reader.start()

    def _copy(self) -> None:
        with open(self.console, "ab") as out:
            while self._reading:
                if select.select([self.terminal], [], [], 0.1)[0]:
                    try:
                        out.write(os.read(self.terminal, 65536))
                    except OSError:
                        return
                    out.flush()

    def close_terminal(self) -> None:
        self._reading = False
        self._reader.join()
        os.close(self.terminal)


def _get(url: str, opener=None) -> tuple[int, dict, str]:
    try:
        with (opener.open if opener else urllib.request.urlopen)(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")
    except OSError:
        return 0, {}, ""


@pytest.fixture(scope="module")
def leftover(tmp_path_factory):
    """What a SIGKILLed run left: a stale var/run.pid naming a dead run and a service still running on that var/."""
    var_dir = tmp_path_factory.mktemp("run-shared")
    dead = subprocess.Popen(["true"])
    dead.wait()
    sleeper = subprocess.Popen(["sleep", "300"], env={**os.environ, MARKER: str(var_dir)}, start_new_session=True)
    (var_dir / "run.pid").write_text(f"{dead.pid}\nworker-live={sleeper.pid}\n")
    yield var_dir, sleeper
    if sleeper.poll() is None:
        sleeper.kill()
        sleeper.wait()


@pytest.fixture(scope="module")
def running(leftover):
    """One run.py started over the leftover, with an ACTIONKIT_INSECURE_HOSTS of the shell's own."""
    var_dir, _ = leftover
    run = Run(var_dir, extra_env={"ACTIONKIT_INSECURE_HOSTS": SHELL_INSECURE_HOST})
    try:
        run.wait_ready()
        yield run
    finally:
        run.cleanup()


@pytest.fixture(scope="module")
def stop_var(tmp_path_factory):
    """The VAR_DIR the stop tests share one after another (the first start migrates and seeds it)."""
    return tmp_path_factory.mktemp("run-stops")


def test_it_stops_what_a_crashed_run_left_behind(running, leftover):
    _, sleeper = leftover
    assert sleeper.wait(timeout=10) is not None  # run.py started despite the stale run.pid and stopped the orphan.
    assert "left running by an earlier run" in running.text()


def test_it_refuses_a_second_run_on_the_same_var_dir(running):
    before = _marked(running.var_dir)
    second = Run(running.var_dir)
    try:
        assert second.proc.wait(timeout=30) != 0
        text = second.text()
        assert f"AKbridge is already running (pid {running.proc.pid}) on {running.var_dir}/" in text
        assert "preparing" not in text
        assert _marked(running.var_dir) == before  # It started nothing ...
        assert _get(f"{second.url}/login/")[0] == 0  # ... and listens nowhere.
        assert (running.var_dir / "run.pid").read_text().split()[0] == str(running.proc.pid)
    finally:
        second.cleanup()


def test_it_keeps_the_shells_actionkit_insecure_hosts(running):
    expected = f"ACTIONKIT_INSECURE_HOSTS={SHELL_INSECURE_HOST},127.0.0.1:{running.sandbox_port}," \
               f"localhost:{running.sandbox_port}".encode()
    for name in ("web", "worker-live", "worker-bulk", "worker-backfills", "beat"):
        environ = Path(f"/proc/{running.groups()[name]}/environ").read_bytes().split(b"\0")
        assert expected in environ, name


def test_it_serves_a_404_page_that_lists_no_url_patterns(running):
    status, headers, body = _get(running.url + "/no-such-page/")
    assert status == 404
    assert "Page not found" in body and 'href="/static/css/app.css"' in body
    assert "URLconf" not in body and "api/v1/" not in body and "urlpatterns" not in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert _get(running.url + "/static/css/app.css")[0] == 200  # WhiteNoise serves static files with DEBUG off.


def test_the_demo_login_works(running):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, _, form = _get(running.url + "/login/", opener)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    login_field = "login" if 'name="login"' in form else "username"  # Django's form or django-allauth's.
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, login_field: "demo-admin",
                                   "password": "demo-admin-password"}).encode()
    request = urllib.request.Request(running.url + "/login/", data=body, headers={"Referer": running.url + "/login/"})
    with opener.open(request, timeout=10) as response:
        assert response.status == 200 and not response.url.endswith("/login/"), response.url


def test_the_console_is_for_people(running):
    text = running.text()
    for name in ("sandbox", "web", "worker-live", "worker-bulk", "worker-backfills", "beat"):
        assert re.search(rf"^  {name} +pid \d+ ", text, re.M), name
    assert re.search(r"^  worker-live +pid \d+ +Celery worker on queues live, housekeeping$", text, re.M)
    assert re.search(r"^  worker-bulk +pid \d+ +Celery worker on queues polls, imports$", text, re.M)
    assert re.search(r"^  worker-backfills +pid \d+ +Celery worker on queues backfills$", text, re.M)
    assert f"Open {running.url}/  and log in as  demo-admin / demo-admin-password" in text
    assert f"http://127.0.0.1:{running.sandbox_port}/_sandbox/" in text
    assert "No hostname was supplied" not in text and "superuser privileges" not in text
    assert '{"ts"' not in text and "celery@" not in text  # No JSON log lines and no Celery banner.


def test_logs_stay_json_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update({"ENVIRONMENT": "production", "LOG_FORMAT": "text", "SECRET_KEY": secrets.token_urlsafe(50),
                "SECRETS_FERNET_KEYS": Fernet.generate_key().decode(), "ALLOWED_HOSTS": "example.org",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "VAR_DIR": str(tmp_path / "var")})
    code = ("import django; django.setup(); import logging; "
            "print(type(logging.getLogger().handlers[0].formatter).__name__)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert result.stdout.strip() == "JsonFormatter", result.stderr


@pytest.mark.parametrize("sig, ignore_sigint", [(signal.SIGTERM, False), (signal.SIGHUP, False),
                                                (signal.SIGINT, True)], ids=["sigterm", "sighup", "sigint-background"])
def test_it_stops_every_service_within_10_seconds(stop_var, sig, ignore_sigint):
    run = Run(stop_var, ignore_sigint=ignore_sigint)
    try:
        pids = run.wait_ready()
        assert len(pids) >= 10  # run.py, 5 services, gunicorn's and Celery's workers.
        seconds = run.stop_and_measure(sig, pids)
        assert seconds < STOP_WITHIN_SECONDS, seconds
        assert run.proc.wait(timeout=5) == 0
        assert not _marked(stop_var)
        assert "Stopped in" in run.text()
    finally:
        run.cleanup()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux only")
def test_services_stop_when_run_py_is_killed(stop_var):
    run = Run(stop_var)
    try:
        pids = run.wait_ready()
        seconds = run.stop_and_measure(signal.SIGKILL, pids)
        assert seconds < STOP_WITHIN_SECONDS, seconds
        assert not _marked(stop_var)
    finally:
        run.cleanup()


def test_it_stops_when_its_terminal_closes(stop_var):
    run = TerminalRun(stop_var)
    try:
        pids = run.wait_ready()
        started = time.monotonic()
        run.close_terminal()
        while any(_running(pid) for pid in pids) and time.monotonic() - started < 30:
            run.proc.poll()
            time.sleep(0.05)
        assert time.monotonic() - started < STOP_WITHIN_SECONDS
        assert run.proc.wait(timeout=5) == 0
        assert (stop_var / "run.pid").read_text() == ""  # run.py stopped them itself and released the lock.
    finally:
        run.cleanup()
