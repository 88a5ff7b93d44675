"""Child processes that cannot outlive `make run`: one run per var/ directory, process groups, a parent-death signal.

- `RunLock` holds var/run.pid with fcntl.flock for the life of the run. The kernel drops the lock when its holder dies,
  however it dies, so a stale file never blocks a start; a live holder makes the next start refuse.
- Every service starts in a session of its own (so a Ctrl-C in the terminal reaches only run.py, which stops them in
  order) with a parent-death signal on Linux, and carries MARKER=<var dir> in its environment. Their process group ids
  are written to var/run.pid, so the next start stops whatever a SIGKILLed run left behind.
- `stop_groups` sends SIGTERM to each group's leader (then to the group), and SIGKILL to what is left after a grace period.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MARKER = "AKBRIDGE_RUN_VAR_DIR"  # In every service's environment: the var/ directory of the run that started it.
STOP_GRACE_SECONDS = 7.0  # SIGTERM to SIGKILL, for a previous run's leftovers; run.py sets its own per wave.
_PR_SET_PDEATHSIG = 1  # From <linux/prctl.h>.
_PROC = Path("/proc")
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None  # Loaded before any fork.


class AlreadyRunning(Exception):
    def __init__(self, pid: int | None):
        super().__init__(pid)
        self.pid = pid


class RunLock:
    """var/run.pid: the pid of the run on line 1, then `name=pgid` for each service it started."""

    def __init__(self, var_dir: Path):
        self.path = var_dir / "run.pid"
        self._fd: int | None = None
        self.groups: dict[str, int] = {}

    def acquire(self) -> dict[str, int]:
        """Take the lock and return the groups a previous run recorded. Raises AlreadyRunning when it is held."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # Not inherited: children never hold the lock.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, _ = _parse(os.pread(fd, 4096, 0).decode(errors="replace"))
            os.close(fd)
            raise AlreadyRunning(pid) from None
        self._fd = fd
        _, previous = _parse(os.pread(fd, 4096, 0).decode(errors="replace"))
        self._write()
        return previous

    def record(self, name: str, pgid: int) -> None:
        self.groups[name] = pgid
        self._write()

    def release(self) -> None:
        if self._fd is None:
            return
        # Emptied rather than removed: unlinking a locked file lets two later runs lock two different files.
        os.ftruncate(self._fd, 0)
        os.close(self._fd)  # Closing drops the flock.
        self._fd = None

    def _write(self) -> None:
        text = f"{os.getpid()}\n" + "".join(f"{name}={pgid}\n" for name, pgid in self.groups.items())
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode(), 0)


def _parse(text: str) -> tuple[int | None, dict[str, int]]:
    lines = text.split()
    pid = int(lines[0]) if lines and lines[0].isdigit() else None
    groups = {}
    for line in lines[1:]:
        name, _, pgid = line.partition("=")
        if pgid.isdigit():
            groups[name] = int(pgid)
    return pid, groups


def spawn(cmd: list[str], *, env: dict, cwd: Path, var_dir: Path, stdout) -> subprocess.Popen:
    """Start one service in a new session (its pid is its process group id), dying with this process on Linux."""
    parent = os.getpid()

    def die_with_parent() -> None:  # Runs in the child between fork and exec; this process has no other threads.
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)  # The parent died before the signal was armed.

    return subprocess.Popen(cmd, cwd=cwd, env={**env, MARKER: str(var_dir)}, stdout=stdout, start_new_session=True,
                            preexec_fn=die_with_parent)


def die_with(parent_comm: str) -> None:
    """Get SIGTERM when our parent dies, if it is `parent_comm`. make passes its SIGTERM on, but not SIGHUP or SIGKILL."""
    if _LIBC is None:
        return
    try:
        comm = Path(f"/proc/{os.getppid()}/comm").read_text().strip()
    except OSError:
        return
    if comm == parent_comm:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs. Zombies do not count: a container's PID 1 may never reap them."""
    if _PROC.exists():
        return any(True for _ in _members(pgid))
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _members(pgid: int):
    """Pids of the running (not zombie) processes in a process group, read from /proc/<pid>/stat."""
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            yield int(entry.name)


def group_is_ours(pgid: int, var_dir: Path) -> bool:
    """Whether a recorded group still holds a service of a run on var_dir (and not a new process that got the id)."""
    if not _PROC.exists():
        return group_alive(pgid)  # No /proc (macOS): trust the recorded id.
    wanted = f"{MARKER}={var_dir}".encode()
    for pid in _members(pgid):
        try:
            if wanted in (_PROC / str(pid) / "environ").read_bytes().split(b"\0"):
                return True
        except OSError:
            continue
    return False


def stop_groups(groups: dict[str, int], procs: dict[str, subprocess.Popen] | None = None,
                grace: float = STOP_GRACE_SECONDS) -> list[str]:
    """Stop each group within `grace` seconds, and kill what is left. Returns the names of the groups that were killed.

    SIGTERM goes to the leader first: gunicorn and Celery stop their own workers, whereas a signal to each pool process
    makes Celery log it as a crash. Once a leader is gone, anything still in its group gets SIGTERM too.
    """
    procs = procs or {}
    for pgid in groups.values():
        _signal(pgid, signal.SIGTERM, group=False)
    orphans_told: set[str] = set()
    deadline = time.monotonic() + grace
    while (alive := _alive(groups, procs)) and time.monotonic() < deadline:
        for name in alive:
            if name not in orphans_told and not _leader_alive(groups[name], procs.get(name)):
                _signal(groups[name], signal.SIGTERM, group=True)
                orphans_told.add(name)
        time.sleep(0.1)
    killed = _alive(groups, procs)
    for name in killed:
        _signal(groups[name], signal.SIGKILL, group=True)
    deadline = time.monotonic() + 2
    while _alive(groups, procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    return killed


def _leader_alive(pgid: int, proc: subprocess.Popen | None) -> bool:
    if proc is not None:
        return proc.poll() is None
    return pgid in set(_members(pgid)) if _PROC.exists() else True


def _alive(groups: dict[str, int], procs: dict[str, subprocess.Popen]) -> list[str]:
    for proc in procs.values():
        proc.poll()  # Reap exited leaders, whose zombies would still count as group members.
    return [name for name, pgid in groups.items() if group_alive(pgid)]


def _signal(pgid: int, sig: int, *, group: bool) -> None:
    try:
        (os.killpg if group else os.kill)(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
