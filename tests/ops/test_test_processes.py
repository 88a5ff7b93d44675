"""A test run that is stopped early (SIGTERM from a CI timeout or an operator) leaves no server process behind.

The inner run starts a process group the way the worker and sandbox fixtures do, then hangs inside the test; the
outer test terminates that run and checks that the whole group is gone, children included.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.plugins.worker import wait_until

ROOT = Path(__file__).resolve().parents[2]

INNER_TEST = textwrap.dedent('''
    import subprocess, sys, time
    from pathlib import Path

    from tests.plugins import processes


    def test_hangs_with_a_server_running(tmp_path):
        # A leader that forks a child into its group and waits, as a Celery worker does with its pool.
        server = processes.spawn([sys.executable, "-c",
                                  "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"])
        Path({pid_file!r}).write_text(str(server.pid))
        time.sleep(300)
''')


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_sigterm_to_a_test_run_kills_the_process_groups_it_started(tmp_path):
    pid_file = tmp_path / "server.pid"
    (tmp_path / "test_inner.py").write_text(INNER_TEST.format(pid_file=str(pid_file)))
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider", "-p",
         "tests.plugins.processes", "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(pid_file.exists, timeout=60, message="the inner test to start its server")
        pgid = int(pid_file.read_text())
        wait_until(lambda: len(_members(pgid)) >= 2, timeout=30, message="the server to fork its child")
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=30)
        wait_until(lambda: not _group_alive(pgid), timeout=10, message="the server's process group to be gone")
    finally:
        if run.poll() is None:
            run.kill()
        if pid_file.exists() and _group_alive(int(pid_file.read_text())):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    assert run.returncode != 0  # The run reports that it was interrupted, not that it passed.


def _members(pgid: int) -> list[int]:
    listing = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True).stdout
    time.sleep(0.1)
    return [int(pid) for pid in listing.split()]
