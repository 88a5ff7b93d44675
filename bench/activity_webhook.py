"""The page-webhook receiver under gunicorn on loopback: 50 concurrent clients posting distinct actions.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_activity REDIS_URL=redis://127.0.0.1:6379/14 \
     .venv/bin/python bench/activity_webhook.py [--clients 50 --seconds 20 --workers 3 --rate 300]

Two runs, each request a new action id (so every one is a real insert, authenticated by its URL):
  closed loop  50 clients each send the next request when the last answer arrives: the most the server absorbs.
               The clients are wrk (Debian's `wrk`, C, a few microseconds per request) when it is installed, so the
               load generator does not take the server's CPU; else 50 Python threads (--generator python).
  open loop    50 Python clients share a fixed offered rate (--rate req/s), a new connection per request as
               ActionKit's sender makes; latency counts from the scheduled send time, so a stalled server cannot
               hide its queueing (no coordinated omission).
Afterwards it checks that the stored event count equals the 2xx count (nothing lost, nothing doubled).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from activity_common import ROOT, bench_connection, django_setup, free_port, in_threads, queue_purge, tmpdir, wait_http
from machine import describe

PROCESSES = 5  # Client processes; the clients are threads spread over them, so the GIL is not the limit.


def _client_proc(args) -> list[tuple[float, int]]:
    url, first_id, threads, seconds, rate_per_thread, start_at = args
    parsed = urlparse(url)

    def run(index: int) -> list[tuple[float, int]]:
        own: list[tuple[float, int]] = []
        next_id = first_id + index * 10_000_000
        interval = 1.0 / rate_per_thread if rate_per_thread else 0.0
        scheduled = start_at + (index / max(threads, 1)) * interval
        end = start_at + seconds
        while True:
            if interval:
                now = time.time()
                if scheduled > now:
                    time.sleep(scheduled - now)
                sent_at = scheduled
                scheduled += interval
            else:
                sent_at = time.time()
            if sent_at >= end:
                break
            next_id += 1
            body = json.dumps({"id": next_id, "page": "/rest/v1/petitionpage/1/", "user": f"/rest/v1/user/{next_id}/",
                               "fields": {"comment": "bench"}})
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
            try:
                conn.request("POST", parsed.path, body=body, headers={"Content-Type": "application/json"})
                status = conn.getresponse().status
            except OSError:
                status = 0
            finally:
                conn.close()
            own.append((time.time() - sent_at, status))
        return own

    return in_threads(threads, run)


def _tree_cpu_seconds(root_pid: int) -> float:
    """utime + stime of a process and its children (gunicorn master + workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        except OSError:
            continue
        if int(entry) == root_pid or int(fields[1]) == root_pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load(url: str, *, clients: int, seconds: float, rate: float | None, base_id: int) -> dict:
    per_proc = clients // PROCESSES
    start_at = time.time() + 1.0
    rate_per_thread = (rate / clients) if rate else None
    jobs = [(url, base_id + p * 100_000_000, per_proc, seconds, rate_per_thread, start_at) for p in range(PROCESSES)]
    with multiprocessing.Pool(PROCESSES) as pool:
        results = [r for chunk in pool.map(_client_proc, jobs) for r in chunk]
    latencies = sorted(lat for lat, _ in results)
    ok = sum(1 for _, status in results if 200 <= status < 300)
    return {"requests": len(results), "ok": ok, "rps": len(results) / seconds,
            "p50": latencies[len(latencies) // 2] * 1000, "p99": latencies[int(len(latencies) * 0.99)] * 1000,
            "max": latencies[-1] * 1000, "errors": len(results) - ok}


def load_wrk(url: str, *, clients: int, seconds: float, base_id: int) -> dict:
    """The closed loop driven by wrk (2 threads, `clients` connections) with bench/wrk_post_action.lua."""
    script = Path(__file__).with_name("wrk_post_action.lua")
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "10s", "-s", str(script),
                          url, "--", str(base_id)], capture_output=True, text=True, check=True).stdout
    r = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    errors = r["non2xx"] + r["socket_errors"]
    return {"requests": r["requests"], "ok": r["requests"] - r["non2xx"], "rps": r["requests"] / r["seconds"],
            "p50": r["p50_us"] / 1000, "p99": r["p99_us"] / 1000, "max": r["max_us"] / 1000, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--threads", type=int, default=1, help="> 1 runs gunicorn's gthread workers")
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python",
                        help="closed-loop clients (default: wrk when installed)")
    args = parser.parse_args()
    tmp = tmpdir()
    django_setup(tmp=tmp, insecure_host="127.0.0.1:1")
    from strive.activity.models import WebhookEvent
    from strive.activity.services.webhooks import webhook_path

    connection = bench_connection(host="127.0.0.1:1", slug="bench-activity-webhook")
    port = free_port()
    env = {**os.environ, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers",
         str(args.workers), "--log-level", "warning",
         *(["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads > 1 else [])], cwd=ROOT, env=env,
        stdout=open(tmp / "gunicorn.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}{webhook_path(connection=connection)}"
        cpu_before = _tree_cpu_seconds(server.pid)
        if args.generator == "wrk":
            closed = load_wrk(url, clients=args.clients, seconds=args.seconds, base_id=1)
        else:
            closed = load(url, clients=args.clients, seconds=args.seconds, rate=None, base_id=1)
        closed["server_cpu_ms"] = (_tree_cpu_seconds(server.pid) - cpu_before) * 1000 / max(closed["requests"], 1)
        cpu_before = _tree_cpu_seconds(server.pid)
        opened = load(url, clients=args.clients, seconds=args.seconds, rate=args.rate, base_id=5_000_000_000)
        opened["server_cpu_ms"] = (_tree_cpu_seconds(server.pid) - cpu_before) * 1000 / max(opened["requests"], 1)
    finally:
        server.terminate()
        server.wait(timeout=20)
    stored = WebhookEvent.objects.filter(connection=connection).count()
    kind = f"gthread x{args.threads}" if args.threads > 1 else "sync"
    print(describe())
    print(f"gunicorn {kind} workers: {args.workers}; clients: {args.clients}; {args.seconds:.0f} s per run; "
          f"closed loop by {args.generator}")
    print("| run | requests | 2xx | errors | req/s | p50 ms | p99 ms | max ms | server CPU ms/request |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, r in ((f"closed loop ({args.generator})", closed), (f"open loop, {args.rate:.0f} req/s offered", opened)):
        print(f"| {label} | {r['requests']:,} | {r['ok']:,} | {r['errors']} | {r['rps']:,.0f} | {r['p50']:.1f} | "
              f"{r['p99']:.1f} | {r['max']:.1f} | {r['server_cpu_ms']:.1f} |")
    answered = closed["ok"] + opened["ok"]
    # wrk stops with up to one request per connection in flight: the server stores those, wrk never counts them.
    cut_off = args.clients if args.generator == "wrk" else 0
    verdict = "ok" if answered <= stored <= answered + cut_off else "MISMATCH"
    print(f"events stored: {stored:,}; 2xx answers: {answered:,}; in flight when the closed loop stopped: "
          f"{stored - answered} (at most {cut_off}): {verdict}. Each action id is unique in the table, so none "
          "is stored twice.")
    queue_purge("live")  # The webhook events' drain tasks are live work.



if __name__ == "__main__":
    main()
