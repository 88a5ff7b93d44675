"""Server processes a test starts (Celery workers, beat, gunicorn, the sandbox), each in a process group of its own.

A fixture stops its processes at teardown. When the test run itself ends early, teardown may never run: pytest
killed by SIGTERM (a CI timeout, `kill <pid>`) or a crash. Then every group still alive is killed at exit, so a
run never leaves a worker holding the broker or the test database behind it.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess

_groups: set[int] = set()


def spawn(cmd: list[str], **popen_kwargs) -> subprocess.Popen:
    """`subprocess.Popen` in a new session (so one signal reaches the process and all its children), remembered
    until it is stopped."""
    proc = subprocess.Popen(cmd, start_new_session=True, **popen_kwargs)
    _groups.add(proc.pid)
    return proc


def stop(proc: subprocess.Popen | None, *, sig: int = signal.SIGTERM, grace: float = 15) -> None:
    """Signal the whole group; SIGKILL it if it is still there after `grace` seconds."""
    if proc is None:
        return
    if proc.poll() is None:
        _signal_group(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # The leader may be gone while pool children it forked linger in the group.
    _signal_group(proc.pid, signal.SIGKILL)
    _groups.discard(proc.pid)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def kill_all() -> None:
    for pgid in list(_groups):
        _signal_group(pgid, signal.SIGKILL)
        _groups.discard(pgid)


def _terminated(signum, frame):
    # Turn SIGTERM into the interrupt pytest already handles: it ends the run and tears fixtures down.
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config) -> None:
    atexit.register(kill_all)
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _terminated)
