"""The user poll under ActionKit's 1000 records/minute limit: budget utilization and 429s.

Reproduce: `.venv/bin/python bench/members_ratelimit.py --seconds 180` (SQLite in a temp dir). The sandbox enforces
1000 records per rolling minute (answering 429 beyond it); the connection's shared throttle has the same budget.
One poll runs for the given time over more users than fit in it; utilization is the records ActionKit served
divided by what the budget allowed in that time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from activity_common import start_sandbox
from members_common import activated_connection, control, django_setup

BUDGET = 1000  # records per minute


def run(seconds: float, users: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, host = start_sandbox(tmp)
        try:
            control(host, "POST", "seed", json={"users": users})
            control(host, "POST", "limits", json={"per_minute": BUDGET, "max_concurrent": 4})
            django_setup(tmp=tmp, insecure_host=host, records_per_minute=BUDGET)
            from actionkit.http import BaseClient
            from strive.services.polls import users_poll

            served: list[tuple[float, int]] = []  # (time ActionKit answered, records it counted)
            original = BaseClient._request

            def counted(self, *args, **kwargs):
                # Timed at the answer: the call waits for the limiter first, and the poll reads pages ahead, so a
                # request can be made well before it is sent.
                response = original(self, *args, **kwargs)
                body = response.body if isinstance(response.body, dict) else {}
                served.append((time.monotonic(), len(body.get("objects") or []) or 1))
                return response

            BaseClient._request = counted
            connection = activated_connection(host)
            before = control(host, "GET", "stats")
            started = time.monotonic()
            result = users_poll(connection_id=connection.pk, time_budget=seconds)
            elapsed = time.monotonic() - started
            after = control(host, "GET", "stats")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    records = sum(n for _, n in served)
    allowed = BUDGET * elapsed / 60
    window = _best_minute(served, started)
    return {"seconds": round(elapsed, 1), "status": result.status, "phones": result.phones, "users": result.users,
            "records_served": records, "budget_records": round(allowed), "utilization": round(records / allowed, 3),
            "steady_minute_records": window, "steady_minute_utilization": round(window / BUDGET, 3),
            "requests": after["requests"] - before["requests"], "429s": after["429s_served"] - before["429s_served"]}


def _best_minute(served: list[tuple[float, int]], started: float) -> int:
    """Records per minute ActionKit served after the first minute's ramp, averaged to the last answer. (A single
    60-second window is a poor measure: pages 6 s apart put 10 or 11 of them in it depending on its edges.)"""
    end = served[-1][0] if served else started
    span = end - (started + 60)
    if span <= 0:
        return sum(n for _, n in served)
    return round(sum(n for at, n in served if at > started + 60) * 60 / span)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--users", type=int, default=20000)
    args = parser.parse_args()
    print(json.dumps(run(args.seconds, args.users)))
