"""One line about the machine a benchmark ran on, so figures from different runs can be compared.

The same pure-Python loop runs everywhere; its time shows how fast this machine's CPU was at that moment (shared
hosts vary by 2x over an hour), and the load average shows what else was running.
"""

import os
import platform
import time


def cpu_reference_seconds() -> float:
    """Seconds for 10 million additions in CPython: about 0.5 s on a fast idle core."""
    started, total = time.perf_counter(), 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - started


def stack() -> str:
    """Which set-up the run used: production's servers, or the embedded default of `make run`."""
    database = os.environ.get("DATABASE_URL", "").partition(":")[0] or "sqlite"
    broker = "Redis" if os.environ.get("REDIS_URL") else "filesystem broker, file cache, SQLite limiter"
    return f"{'PostgreSQL' if database.startswith('postgres') else 'SQLite'} + {broker}"


def describe() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"CPU reference loop {cpu_reference_seconds():.2f} s; load average {load}; {stack()}")
