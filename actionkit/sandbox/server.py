"""Run the sandbox WSGI app under gunicorn (one process, many threads: state lives in that process)."""

from __future__ import annotations

import socket

from gunicorn.app.base import BaseApplication

from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
from actionkit.sandbox.app import SandboxApp

DEFAULT_THREADS = 16  # Enough for slow-fault tests and concurrent bench clients; SQLite writes are serialized.


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict):
        self.application, self.options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def _nodelay(server) -> None:
    """Gunicorn writes headers and body in two sends; without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms
    to every response. Accepted sockets inherit the option from the listener on Linux."""
    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def serve(*, host: str, port: int, db_path: str, threads: int = DEFAULT_THREADS) -> None:
    app = SandboxApp(db_path)
    print(
        f"ActionKit sandbox listening on http://{host}:{port}/ (inspector: http://{host}:{port}/_sandbox/)", flush=True
    )
    print(f"Staff login: username {DEMO_USERNAME!r} password {DEMO_PASSWORD!r}; state in {db_path}", flush=True)
    _Gunicorn(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 120,
            "graceful_timeout": 2,
            "keepalive": 30,
            "loglevel": "warning",
            "accesslog": None,
            "backlog": 2048,
            "when_ready": _nodelay,
        },
    ).run()
