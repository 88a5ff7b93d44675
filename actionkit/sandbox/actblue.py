"""POST /webhooks/actblue/payments/?account=<name>: ActionKit's ActBlue webhook, imitated.

Per line item: contribution -> donation action + completed order (import_id ``ab-<lineitemId>``) + sale transaction
(+ orderrecurring keyed by orderNumber for recurring gifts); refund -> order ``reversed`` + refund transaction;
cancellation -> orderrecurring ``canceled_by_admin``. Repeats are answered 200 with the existing order and
recorded as duplicates. How real AK de-duplicates and maps refunds is unverified (docs/actionkit-compatibility.md, row 18); when a refund
or cancellation arrives before its contribution, the sandbox creates the missing order or profile first.
"""

from __future__ import annotations

from actionkit.actblue_notifications import notification_kind
from actionkit.sandbox import db
from actionkit.sandbox.serializers import uri
from actionkit.sandbox.web import Request, Response, json_response
from actionkit.sandbox.writes import action_insert, phone_add, user_upsert

DONOR_CORE = {
    "firstname": "first_name",
    "lastname": "last_name",
    "addr1": "address1",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "country": "country",
}


def handle(conn, request: Request) -> Response:
    account = request.param("account") or "Default ActBlue"
    backfill = request.param("backfill") == "1"
    try:
        body = request.data()
    except ValueError:
        return json_response(400, {"errors": ["Request body is not valid JSON."]})
    donor = body.get("donor") or {}
    items = [i for i in body.get("lineitems") or [] if isinstance(i, dict) and i.get("lineitemId") is not None]
    if not str(donor.get("email") or "").strip():
        return json_response(400, {"errors": {"email": ["The donor has no email address."]}})
    if not items:
        return json_response(400, {"errors": {"lineitems": ["At least one line item with a lineitemId is required."]}})
    kind = notification_kind(body)
    with db.write(conn):
        user_id = _donor_upsert(conn, donor, body, backfill)
        results = [_apply(conn, kind, account, user_id, body, item) for item in items]
        for (order_id, duplicate), item in zip(results, items, strict=True):
            conn.execute(
                "INSERT INTO webhook_request (account, kind, lineitem_id, order_number, status_code, "
                "duplicate, backfill, order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    kind,
                    str(item["lineitemId"]),
                    (body.get("contribution") or {}).get("orderNumber"),
                    200 if duplicate else 201,
                    int(duplicate),
                    int(backfill),
                    order_id,
                    db.now(),
                ),
            )
    duplicate = all(d for _, d in results)
    status = 200 if duplicate or kind != "contribution" else 201
    order_ids = [o for o, _ in results]
    return json_response(
        status,
        {
            "kind": kind,
            "duplicate": duplicate,
            "user": uri("user", user_id),
            "orders": [uri("order", o) for o in order_ids],
        },
        [("Location", uri("order", order_ids[0]))],
    )


def _donor_upsert(conn, donor: dict, body: dict, backfill: bool) -> int:
    employer = donor.get("employerData") or {}
    fields = {
        "employer": employer.get("employer") or "",
        "occupation": employer.get("occupation") or "",
        "express_lane": "1" if donor.get("isEligibleForExpressLane") else "0",
    }
    core = {ak: donor.get(ab) for ab, ak in DONOR_CORE.items() if donor.get(ab)}
    source = str((body.get("contribution") or {}).get("refcode") or "actblue")
    # Live donations (re)subscribe the donor; backfill=1 leaves the status alone ("never" for new users).
    existing = conn.execute("SELECT id FROM user WHERE email = ?", (donor["email"].strip().lower(),)).fetchone()
    status = ("never" if existing is None else None) if backfill else "subscribed"
    user_id, _ = user_upsert(conn, email=donor["email"], core=core, fields=fields, source=source, status=status)
    if donor.get("phone"):
        phone_add(conn, user_id, str(donor["phone"]), "mobile", "user")
    return user_id


def _apply(conn, kind: str, account: str, user_id: int, body: dict, item: dict) -> tuple[int, bool]:
    """Returns (order_id, duplicate)."""
    order = conn.execute(
        "SELECT * FROM orders WHERE account = ? AND import_id = ?", (account, f"ab-{item['lineitemId']}")
    ).fetchone()
    if kind == "contribution":
        return (order["id"], True) if order else (_contribution(conn, account, user_id, body, item), False)
    order_id = order["id"] if order else _contribution(conn, account, user_id, body, item)
    if kind == "refund":
        return order_id, _refund(conn, account, order_id, item)
    return order_id, _cancel(conn, account, body, order_id, user_id, item)


def _contribution(conn, account: str, user_id: int, body: dict, item: dict) -> int:
    contribution, ts = body.get("contribution") or {}, db.now()
    page = _donation_page(
        conn, str(contribution.get("contributionForm") or (body.get("form") or {}).get("name") or "actblue")
    )
    action_id = action_insert(
        conn,
        user_id=user_id,
        page=page,
        source=str(contribution.get("refcode") or "actblue"),
        fields={
            "actblue_order_number": contribution.get("orderNumber", ""),
            "actblue_lineitem_id": item["lineitemId"],
            "actblue_entity_id": item.get("entityId", ""),
        },
        created=False,
        action_type="Donation",
    )
    amount = str(item.get("amount") or "0")
    order_id = conn.execute(
        "INSERT INTO orders (user_id, action_id, account, import_id, status, total, payment_method, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?)",
        (
            user_id,
            action_id,
            account,
            f"ab-{item['lineitemId']}",
            amount,
            "paypal" if contribution.get("isPaypal") else "cc",
            ts,
            ts,
        ),
    ).lastrowid
    _transaction(conn, order_id, account, amount, "sale", str(item["lineitemId"]))
    if contribution.get("isRecurring") and contribution.get("orderNumber"):
        _recurring_ensure(conn, account, contribution, order_id, action_id, user_id, amount)
    return order_id


def _refund(conn, account: str, order_id: int, item: dict) -> bool:
    order = conn.execute("SELECT status, total FROM orders WHERE id = ?", (order_id,)).fetchone()
    if order["status"] == "reversed":
        return True
    conn.execute("UPDATE orders SET status = 'reversed', updated_at = ? WHERE id = ?", (db.now(), order_id))
    _transaction(conn, order_id, account, f"-{order['total']}", "refund", f"refund-{item['lineitemId']}")
    return False


def _cancel(conn, account: str, body: dict, order_id: int, user_id: int, item: dict) -> bool:
    contribution = body.get("contribution") or {}
    recurring_id = _recurring_ensure(
        conn, account, contribution, order_id, None, user_id, str(item.get("amount") or "0")
    )
    row = conn.execute("SELECT status FROM orderrecurring WHERE id = ?", (recurring_id,)).fetchone()
    if row["status"].startswith("canceled"):
        return True
    conn.execute(
        "UPDATE orderrecurring SET status = 'canceled_by_admin', updated_at = ? WHERE id = ?", (db.now(), recurring_id)
    )
    return False


def _recurring_ensure(conn, account, contribution, order_id, action_id, user_id, amount) -> int:
    key = str(contribution.get("orderNumber") or f"order-{order_id}")
    row = conn.execute(
        "SELECT id FROM orderrecurring WHERE account = ? AND recurring_id = ?", (account, key)
    ).fetchone()
    if row:
        return row["id"]
    ts = db.now()
    return conn.execute(
        "INSERT INTO orderrecurring (order_id, action_id, user_id, account, amount, period, recurring_id, start, "
        "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'months', ?, ?, 'active', ?, ?)",
        (order_id, action_id, user_id, account, amount, key, ts[:10], ts, ts),
    ).lastrowid


def _transaction(conn, order_id: int, account: str, amount: str, kind: str, trans_id: str) -> None:
    ts = db.now()
    conn.execute(
        "INSERT INTO transactions (order_id, account, amount, type, status, success, trans_id, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 'completed', 1, ?, ?, ?)",
        (order_id, account, amount, kind, trans_id, ts, ts),
    )


def _donation_page(conn, form: str):
    name = f"actblue_{form}"[:64]
    row = conn.execute("SELECT * FROM page WHERE name = ?", (name,)).fetchone()
    if row:
        return row
    ts = db.now()
    conn.execute(
        "INSERT INTO page (type, name, title, created_at, updated_at) VALUES ('Donation', ?, ?, ?, ?)",
        (name, f"ActBlue: {form}", ts, ts),
    )
    return conn.execute("SELECT * FROM page WHERE name = ?", (name,)).fetchone()
