"""ActBlue's Basic-auth webhook under gunicorn on loopback, beside the Bearer API, in one run.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_actblue_hook REDIS_URL=redis://127.0.0.1:6379/13 \
     .venv/bin/python bench/actblue_webhook.py [--clients 20 --seconds 15 --workers 3]

Both endpoints record the same ActBlue-format contribution (a new line item each request, so every request is a
real insert of a contribution, a line item and its outbox row). Closed loop: each client sends the next request
when the last answer arrives, over a keep-alive connection, as ActBlue's sender may. Reported side by side:
requests per second, p50 and p99 latency, and the webhook's rate as a share of the API's, measured in the same run
so the machine's speed at that moment cancels out. Afterwards it checks that the ledger holds exactly one line item
per 2xx answer: nothing lost, nothing doubled. No worker runs: the queued sends are dropped at the end.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import time
from urllib.parse import urlparse

from activity_common import ROOT, django_setup, free_port, in_threads, queue_purge, tmpdir, wait_http
from machine import describe

PROCESSES = 4


def _body(n: int) -> str:
    return json.dumps({
        "donor": {"firstname": "Bench", "lastname": f"Donor{n}", "email": f"donor{n}@bench.example", "zip": "94801",
                  "country": "United States"},
        "contribution": {"createdAt": "2025-01-01T10:00:00-05:00", "orderNumber": f"HOOK{n}",
                         "contributionForm": "bench-form", "recurringPeriod": "once", "recurringDuration": 1},
        "lineitems": [{"lineitemId": n, "sequence": 0, "entityId": 5001, "committeeName": "Bench PAC",
                       "amount": "10.0", "paidAt": "2025-01-01T10:00:01-05:00"}],
        "form": {"name": "bench-form", "kind": "page"}})


def _client_proc(args) -> list[tuple[float, int]]:
    url, authorization, first_id, threads, seconds, start_at = args
    parsed = urlparse(url)

    def run(index: int) -> list[tuple[float, int]]:
        own, n = [], first_id + index * 1_000_000
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        while time.time() < start_at:
            time.sleep(0.01)
        while time.time() < start_at + seconds:
            n += 1
            sent = time.time()
            try:
                conn.request("POST", parsed.path, body=_body(n),
                             headers={"Content-Type": "application/json", "Authorization": authorization})
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
            own.append((time.time() - sent, status))
        conn.close()
        return own

    return in_threads(threads, run)


def load(url: str, authorization: str, *, clients: int, seconds: float, base_id: int) -> dict:
    start_at = time.time() + 1.0
    jobs = [(url, authorization, base_id + p * 100_000_000, clients // PROCESSES, seconds, start_at)
            for p in range(PROCESSES)]
    with multiprocessing.Pool(PROCESSES) as pool:
        results = [r for chunk in pool.map(_client_proc, jobs) for r in chunk]
    latencies = sorted(lat for lat, _ in results)
    ok = sum(1 for _, status in results if 200 <= status < 300)
    return {"requests": len(results), "ok": ok, "rps": len(results) / seconds, "errors": len(results) - ok,
            "p50": latencies[len(latencies) // 2] * 1000, "p99": latencies[int(len(latencies) * 0.99)] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    tmp = tmpdir()
    django_setup(tmp=tmp, insecure_host="127.0.0.1:1")
    from actblue.models import LineItem
    from actblue.services.profile import actblue_identity_set, webhook_credentials_create
    from integrations.models import Entity
    from integrations.services.api_keys import api_credential_create

    entity, _ = Entity.objects.get_or_create(slug="bench-actblue-hook", defaults={"name": "Bench PAC"})
    actblue_identity_set(entity=entity, entity_ids=[5001])
    profile, password = webhook_credentials_create(entity=entity, actor=None)
    _, api_key = api_credential_create(entity=entity, name=f"bench-{time.time()}", actor=None)
    before = LineItem.objects.filter(entity=entity).count()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers",
         str(args.workers), "--log-level", "warning"], cwd=ROOT, env={**os.environ, "DEBUG": "0"},
        stdout=open(tmp / "gunicorn.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    base = int(time.time()) * 1000  # Fresh line item ids on every run against the same database.
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        basic = "Basic " + base64.b64encode(f"{profile.webhook_username}:{password}".encode()).decode()
        hook = load(f"http://127.0.0.1:{port}/hooks/actblue/{profile.webhook_token}/", basic, clients=args.clients,
                    seconds=args.seconds, base_id=base)
        api = load(f"http://127.0.0.1:{port}/api/v1/actblue/notifications/", f"Bearer {api_key}",
                   clients=args.clients, seconds=args.seconds, base_id=base + 50_000_000_000)
    finally:
        server.terminate()
        server.wait(timeout=20)
    stored = LineItem.objects.filter(entity=entity).count() - before
    print(describe())
    print(f"gunicorn sync workers: {args.workers}; clients: {args.clients}; {args.seconds:.0f} s per endpoint; "
          f"database: {os.environ['DATABASE_URL'].split(':')[0]}")
    print("| endpoint | requests | 2xx | errors | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, r in (("ActBlue webhook (Basic)", hook), ("API (Bearer)", api)):
        print(f"| {label} | {r['requests']:,} | {r['ok']:,} | {r['errors']} | {r['rps']:,.0f} | {r['p50']:.1f} | "
              f"{r['p99']:.1f} |")
    print(f"webhook / API rate: {hook['rps'] / api['rps']:.2f}")
    answered = hook["ok"] + api["ok"]
    print(f"line items stored: {stored:,}; 2xx answers: {answered:,}: {'ok' if stored == answered else 'MISMATCH'}")
    queue_purge("live")


if __name__ == "__main__":
    main()
