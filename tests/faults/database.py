"""Taking the database away for a moment from every other process (the worker), then giving it back."""

import sqlite3
import threading
import time

from django.db import connection


def database_outage(*, seconds: float) -> str:
    """PostgreSQL: terminate the worker's backends repeatedly for `seconds`. SQLite: hold an exclusive lock."""
    if connection.vendor == "sqlite":
        lock = sqlite3.connect(connection.settings_dict["NAME"], timeout=30, isolation_level=None, check_same_thread=False)
        lock.execute("BEGIN EXCLUSIVE")
        threading.Timer(seconds, lambda: (lock.execute("ROLLBACK"), lock.close())).start()
        return f"exclusive lock held {seconds:g} s"
    killed = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            killed += cursor.fetchone()[0]
        time.sleep(0.2)
    return f"{killed} worker backends terminated over {seconds:g} s"
