"""Sandbox throughput: users read per second (paged through ActionKitClient) and ActBlue notifications per second.

Run: .venv/bin/python bench/sandbox_throughput.py [--users 20000] [--notifications 5000] [--clients 8]
Starts its own sandbox on a free loopback port with a temporary database; limits are off.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from activity_common import start_sandbox  # noqa: E402

from actionkit.client import ActionKitClient  # noqa: E402
from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME  # noqa: E402


def notification(n: int) -> dict:
    return {
        "donor": {
            "firstname": "Bench",
            "lastname": f"Donor{n}",
            "email": f"bench{n % 2000}@example.org",
            "zip": "94801",
            "employerData": {"employer": "Acme", "occupation": "Tester"},
        },
        "contribution": {"orderNumber": f"AB{n}", "contributionForm": "bench", "isRecurring": n % 10 == 0},
        "lineitems": [{"lineitemId": 10_000_000 + n, "amount": "10.0", "entityId": 1}],
    }


def bench_reads(host: str, users: int) -> tuple[int, float]:
    client = ActionKitClient(host, DEMO_USERNAME, DEMO_PASSWORD, insecure_hosts=[host])
    started = time.perf_counter()
    count = sum(1 for _ in client.users_updated_since(None))
    return count, time.perf_counter() - started


def _send_batch(args: tuple[str, int, int]) -> int:
    """One client process: its own session, notifications start..start+count in order; returns 201s."""
    host, start, count = args
    client = ActionKitClient(host, DEMO_USERNAME, DEMO_PASSWORD, insecure_hosts=[host])
    return sum(
        client.actblue_notify(account="Default ActBlue", notification=notification(n))["status_code"] == 201
        for n in range(start, start + count)
    )


def _raw_batch(args: tuple[str, int, int]) -> int:
    """A minimal keep-alive sender (http.client), to measure what the server absorbs when clients are cheap."""
    host, start, count = args
    name, port = host.split(":")
    conn = http.client.HTTPConnection(name, int(port))
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"{DEMO_USERNAME}:{DEMO_PASSWORD}".encode()).decode(),
        "Content-Type": "application/json",
    }
    created = 0
    for n in range(start, start + count):
        conn.request("POST", "/webhooks/actblue/payments/?account=Raw", json.dumps(notification(n)), headers)
        response = conn.getresponse()
        response.read()
        created += response.status == 201
    return created


def bench_raw(host: str, total: int, clients: int) -> tuple[int, float]:
    share = total // clients
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        created = sum(pool.map(_raw_batch, [(host, 50_000_000 + k * share, share) for k in range(clients)]))
    return created, time.perf_counter() - started


def bench_notifications(host: str, total: int, clients: int) -> tuple[int, float]:
    """``clients`` separate processes, so the client side is not limited by one interpreter's GIL."""
    share = total // clients
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        created = sum(pool.map(_send_batch, [(host, k * share, share) for k in range(clients)]))
    return created, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--notifications", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    os.environ["ACTIONKIT_INSECURE_HOSTS"] = ""
    with tempfile.TemporaryDirectory() as tmp:
        proc, host = start_sandbox(Path(tmp))
        try:
            requests.post(f"http://{host}/_sandbox/seed", json={"users": args.users}, timeout=600).raise_for_status()
            read, read_s = bench_reads(host, args.users)
            sent, send_s = bench_notifications(host, args.notifications, args.clients)
            raw, raw_s = bench_raw(host, args.notifications, args.clients)
            stats = requests.get(f"http://{host}/_sandbox/stats", timeout=10).json()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'measure':<38}{'count':>10}{'seconds':>10}{'per second':>12}")
    print(f"{'users read (100/page, one client)':<38}{read:>10}{read_s:>10.2f}{read / read_s:>12.0f}")
    label = f"ActBlue notifications ({args.clients} clients)"
    print(f"{label:<38}{sent:>10}{send_s:>10.2f}{sent / send_s:>12.0f}")
    label = f"  same, minimal http.client senders ({args.clients})"
    print(f"{label:<38}{raw:>10}{raw_s:>10.2f}{raw / raw_s:>12.0f}")
    print(
        f"orders recorded: {stats['orders']}, duplicates: {stats['duplicates_prevented']}, 429s: {stats['429s_served']}"
    )


if __name__ == "__main__":
    main()
