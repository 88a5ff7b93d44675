"""The ActionKit details page with N delivered notifications: server time per render (Django test client, in-process).

Reproduce (PostgreSQL required):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_actblue_details .venv/bin/python bench/actblue_details.py --count 1000000
Rows are written with INSERT ... SELECT generate_series (one attempt per row for the latest page), then the page is
rendered 5 times to warm up and 50 times measured, first page and a deep keyset page (?before=<middle id>).
"""

import argparse
import os
import statistics
import time

from actblue_common import django_setup, insert_series, make_connection, setup_env


def seed(count: int):
    from django.db import connection as db

    from integrations.models import Connection, Delivery, DeliveryAttempt

    entity, connection = make_connection("ak.example.org", per_minute=1000)
    Connection.objects.filter(pk=connection.pk).update(halted=False)
    insert_series(Delivery, count, {
        "connection_id": str(connection.pk), "key": "'actblue:contribution:' || (10000000 + n)",
        "event_type": "'contribution'", "source_id": "n", "status": "'succeeded'", "attempts": "1",
        "last_status_code": "201", "delivered_at": "now()", "remote_ref": "'/rest/v1/order/' || n || '/'"})
    with db.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM integrations_delivery")
        last = cursor.fetchone()[0]
    insert_series(DeliveryAttempt, 1000, {"delivery_id": f"{last} - n", "outcome": "'success'", "status_code": "201",
                                          "detail": "'{\"kind\": \"contribution\", \"duplicate\": false}'"})
    return entity


def measure(client, url: str, runs: int) -> list[float]:
    for _ in range(5):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_actblue_details")
    setup_env()
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection as db
    from django.test import Client
    from django.urls import reverse

    from integrations.models import Delivery, Membership

    entity = seed(args.count)
    user = get_user_model().objects.create_user("bench-admin", password="x")
    Membership.objects.create(user=user, entity=entity, role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(user)
    url = reverse("actblue:detail", kwargs={"entity_slug": entity.slug})
    middle = Delivery.objects.order_by("-id").values_list("id", flat=True)[args.count // 2]
    queries = []

    def record(execute, sql, params, many, context):
        queries.append({"sql": sql})
        return execute(sql, params, many, context)

    with db.execute_wrapper(record):
        status = client.get(url).status_code
    for label, target in (("first page", url), ("deep page", f"{url}?before={middle}")):
        times = measure(client, target, args.runs)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        print(f"{label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
              f"over {args.runs} renders with {Delivery.objects.count():,} deliveries")
    print(f"queries per render: {len(queries)} (status {status})")
    for query in queries:
        print("  ", query["sql"][:150])


if __name__ == "__main__":
    main()
