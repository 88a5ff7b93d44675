"""User poll processing rate against the sandbox with the rate limit off, and memory from 10k to 100k users.

Reproduce: `.venv/bin/python bench/members_poll.py` (sizes 10000 and 100000; SQLite in a temp dir; set
DATABASE_URL=postgres://... for PostgreSQL). Each size runs in a fresh process: seed the sandbox, run one full
user poll in-process (HTTP reads of phones and users, matching, member/link/ScannedUser writes, cursor moves) and
report users/s end to end, plus resident memory sampled after every page.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from activity_common import start_sandbox
from machine import describe
from members_common import ROOT, activated_connection, control, django_setup, rss_mb


def child(users: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, host = start_sandbox(tmp)
        try:
            control(host, "POST", "limits", json={"per_minute": 0, "max_concurrent": 0})
            control(host, "POST", "seed", json={"users": users})
            django_setup(tmp=tmp, insecure_host=host, records_per_minute=0)
            return _measure(host, users)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _measure(host: str, users: int) -> dict:
    from strive.models import ScannedUser
    from strive.services import polls

    connection = activated_connection(host)
    samples: list[float] = []
    original = polls._Run._process

    def sampled(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        samples.append(rss_mb())
        return result

    polls._Run._process = sampled
    stream_seconds: dict[str, float] = {}
    original_stream = polls._Run.stream

    def timed(self, name):
        begin = time.perf_counter()
        try:
            return original_stream(self, name)
        finally:
            stream_seconds[name] = round(time.perf_counter() - begin, 2)

    polls._Run.stream = timed
    started = time.perf_counter()
    result = polls.users_poll(connection_id=connection.pk, time_budget=3600)
    elapsed = time.perf_counter() - started
    scanned = ScannedUser.objects.filter(connection=connection).exclude(status="pending").count()
    synced = ScannedUser.objects.filter(connection=connection, status="synced").count()
    quarter = max(1, len(samples) // 4)
    return {"users": users, "status": result.status, "scanned": scanned, "synced": synced, "phones": result.phones,
            "seconds": round(elapsed, 2), "users_per_second": round(users / elapsed),
            "phone_pass_seconds": stream_seconds.get("phones"), "user_pass_seconds": stream_seconds.get("users"),
            "rss_mb_after_first_quarter": round(samples[quarter - 1], 1), "rss_mb_end": round(samples[-1], 1),
            "rss_mb_max": round(max(samples), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    print(describe(), flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--child", str(size)], cwd=ROOT, capture_output=True, text=True,
                             check=True)
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
