"""The ``ak_sandbox`` (session) and ``ak_client`` (function) fixtures: a real ActionKit sandbox over HTTP.

The sandbox runs as a subprocess on a free loopback port with a temporary SQLite file. Its "host:port" is added
to ``settings.ACTIONKIT_INSECURE_HOSTS`` for the session and to the ``ACTIONKIT_INSECURE_HOSTS`` env var, so
worker subprocesses started later accept it too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from actionkit.client import ActionKitClient
from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
from tests.plugins import processes

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 20.0  # seconds to wait for the server to answer


class SandboxHandle:
    """Connection details plus the /_sandbox/ control helpers."""

    def __init__(self, port: int, db_path: Path, process: subprocess.Popen):
        self.host = f"127.0.0.1:{port}"
        self.base_url = f"http://{self.host}"
        self.username, self.password = DEMO_USERNAME, DEMO_PASSWORD
        self.db_path, self.process = db_path, process
        self.http = requests.Session()

    def _control(self, method: str, path: str, **kwargs):
        response = self.http.request(method, f"{self.base_url}/_sandbox/{path}", timeout=120, **kwargs)
        response.raise_for_status()
        return response.json()

    def client(self, **kwargs) -> ActionKitClient:
        kwargs.setdefault("timeout", (2, 10))
        return ActionKitClient(self.host, self.username, self.password, insecure_hosts=[self.host], **kwargs)

    def reset(self) -> None:
        self._control("POST", "reset")

    def inject(self, kind: str, count: int = 1, **kw) -> None:
        """Fault the next ``count`` API requests: "500", "503", "slow" (delay=s), "401", "429" (retry_after=...)."""
        self._control("POST", "faults", json={"kind": kind, "count": count, **kw})

    def quirk(self, name: str, on: bool = True, *, resources: list[str] | None = None) -> dict:
        """Switch on (or off) one behaviour of a real ActionKit named in ``actionkit.sandbox.control.QUIRKS``, e.g.
        ``quirk("unknown_filters_ignored")`` or ``quirk("forbidden_resources", resources=["usergroup"])``. Returns
        the quirks now on; ``quirks_off()`` and ``reset()`` turn every one off."""
        body = {"name": name, "on": on, **({"resources": resources} if resources is not None else {})}
        return self._control("POST", "quirks", json=body)["on"]

    def quirks_off(self) -> None:
        self._control("DELETE", "quirks")

    def set_limits(self, per_minute: int | None = None, max_concurrent: int | None = None) -> None:
        self._control("POST", "limits", json={"per_minute": per_minute, "max_concurrent": max_concurrent})

    def stats(self) -> dict:
        return self._control("GET", "stats")

    def orders(self, **filters) -> list[dict]:
        return self._control("GET", "orders", params={"_limit": 100, **filters})["objects"]

    def users(self, **filters) -> list[dict]:
        return self._control("GET", "users", params={"_limit": 100, **filters})["objects"]

    def recurring(self, **filters) -> list[dict]:
        return self._control("GET", "recurring", params={"_limit": 100, **filters})["objects"]

    def create_user(self, email: str, **fields) -> dict:
        return self._control("POST", "users", json={"email": email, **fields})

    def create_page(self, name: str, title: str = "", type: str = "Import") -> dict:  # noqa: A002
        return self._control("POST", "pages", json={"name": name, "title": title or name, "type": type})

    def push_endpoint(self, url: str, pages: list, name: str = "") -> dict:
        """Connect a Push API endpoint to pages: actions taken on them are POSTed to `url` (loopback only)."""
        return self._control("POST", "push_endpoints", json={"name": name, "url": url, "pages": pages})

    def pushes(self) -> list[dict]:
        return self._control("GET", "pushes")["objects"]

    def seed(self, *, users: int = 0, pages: int = 0, actions: int = 0, usergroups: int = 0) -> dict:
        return self._control(
            "POST", "seed", json={"users": users, "pages": pages, "actions": actions, "usergroups": usergroups}
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(handle: SandboxHandle) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            raise RuntimeError(f"ActionKit sandbox exited with {handle.process.returncode}")
        try:
            handle.stats()
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("ActionKit sandbox did not start in time")


def _allow_host(host: str):
    """Add ``host`` to the env var and Django setting; return an undo function."""
    old_env = os.environ.get("ACTIONKIT_INSECURE_HOSTS")
    os.environ["ACTIONKIT_INSECURE_HOSTS"] = ",".join(filter(None, [old_env, host]))
    from django.conf import settings

    old_setting = list(settings.ACTIONKIT_INSECURE_HOSTS) if settings.configured else None
    if settings.configured:
        settings.ACTIONKIT_INSECURE_HOSTS = [*old_setting, host]

    def undo():
        if old_env is None:
            os.environ.pop("ACTIONKIT_INSECURE_HOSTS", None)
        else:
            os.environ["ACTIONKIT_INSECURE_HOSTS"] = old_env
        if old_setting is not None:
            settings.ACTIONKIT_INSECURE_HOSTS = old_setting

    return undo


@pytest.fixture(scope="session")
def ak_sandbox(tmp_path_factory):
    port = _free_port()
    db_path = tmp_path_factory.mktemp("ak-sandbox") / "sandbox.sqlite3"
    log = open(db_path.with_suffix(".log"), "wb")  # noqa: SIM115 - closed at teardown
    process = processes.spawn(
        [
            sys.executable,
            "-m",
            "actionkit.sandbox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            str(db_path),
        ],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    handle = SandboxHandle(port, db_path, process)
    undo = _allow_host(handle.host)
    try:
        _wait_until_up(handle)
        yield handle
    finally:
        undo()
        processes.stop(process, grace=10)
        log.close()


@pytest.fixture
def ak_client(ak_sandbox, settings):
    """A client for the sandbox; Django's settings allow its host for the duration of the test."""
    hosts = list(settings.ACTIONKIT_INSECURE_HOSTS)
    if ak_sandbox.host not in hosts:
        settings.ACTIONKIT_INSECURE_HOSTS = [*hosts, ak_sandbox.host]
    client = ActionKitClient(ak_sandbox.host, ak_sandbox.username, ak_sandbox.password, timeout=(2, 10))
    yield client
    client.close()
