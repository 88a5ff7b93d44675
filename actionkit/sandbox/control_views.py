"""/_sandbox/ endpoints (loopback only, no auth): knobs for tests plus a small HTML inspector."""

from __future__ import annotations

from html import escape

from actionkit.sandbox import db, pushes, resources, seed, writes
from actionkit.sandbox.control import QUIRKS
from actionkit.sandbox.web import Request, Response, html, json_response

INSPECTOR_PAGE_SIZE = 50
TABS = {  # tab -> (table, columns) shown latest first
    "users": ("user", ("id", "email", "first_name", "last_name", "subscription_status", "updated_at")),
    "orders": ("orders", ("id", "user_id", "account", "import_id", "status", "total", "created_at", "updated_at")),
    "actions": ("action", ("id", "user_id", "page_id", "type", "source", "created_at")),
    "recurring": ("orderrecurring", ("id", "user_id", "account", "recurring_id", "amount", "status", "updated_at")),
    "webhooks": ("webhook_request", ("id", "account", "kind", "lineitem_id", "status_code", "duplicate", "created_at")),
    "pushes": ("push_log", ("id", "endpoint_id", "action_id", "status_code", "tries", "error", "created_at")),
}


def handle_control(app, request: Request) -> Response:
    route = request.path.removeprefix("/_sandbox").strip("/")
    conn = app.conn()
    if route == "" and request.method == "GET":
        return inspector(conn, request)
    handler = ROUTES.get((request.method, route))
    if handler is None:
        return json_response(404, {"error": f"No sandbox control endpoint {request.method} {request.path}"})
    try:
        return handler(app, conn, request)
    except (TypeError, ValueError) as exc:
        return json_response(400, {"error": str(exc)})


def stats(app, conn, request) -> Response:
    def count(sql: str) -> int:
        return conn.execute(sql).fetchone()[0]

    by_status = dict(conn.execute("SELECT status, COUNT(*) FROM orders GROUP BY status").fetchall())
    recurring = dict(conn.execute("SELECT status, COUNT(*) FROM orderrecurring GROUP BY status").fetchall())
    return json_response(
        200,
        {
            **app.control.snapshot(),
            "users": count("SELECT COUNT(*) FROM user"),
            "actions": count("SELECT COUNT(*) FROM action"),
            "pages": count("SELECT COUNT(*) FROM page"),
            "orders": sum(by_status.values()),
            "orders_by_status": by_status,
            "recurring_by_status": recurring,
            "webhook_requests": count("SELECT COUNT(*) FROM webhook_request"),
            "duplicates_prevented": count("SELECT COUNT(*) FROM webhook_request WHERE duplicate = 1"),
        },
    )


def set_limits(app, conn, request) -> Response:
    data = request.data()
    app.control.set_limits(data.get("per_minute"), data.get("max_concurrent"))
    return json_response(200, app.control.snapshot()["limits"])


def inject(app, conn, request) -> Response:
    data = request.data()
    app.control.inject(
        str(data["kind"]), int(data.get("count", 1)), delay=data.get("delay"), retry_after=data.get("retry_after")
    )
    return json_response(200, {"faults_pending": app.control.snapshot()["faults_pending"]})


def set_quirk(app, conn, request) -> Response:
    """{"name": ..., "on": true, "resources": [...]} (resources only for forbidden_resources)."""
    data = request.data()
    app.control.set_quirk(str(data.get("name")), bool(data.get("on", True)), data.get("resources"))
    return list_quirks(app, conn, request)


def quirks_off(app, conn, request) -> Response:
    app.control.quirks_off()
    return list_quirks(app, conn, request)


def list_quirks(app, conn, request) -> Response:
    return json_response(200, {"on": app.control.snapshot()["quirks"], "available": QUIRKS})


def reset(app, conn, request) -> Response:
    db.reset(conn)
    app.control.reset()
    app.reports.clear()
    app._staff = None
    return json_response(200, {"reset": True})


def run_seed(app, conn, request) -> Response:
    data = request.data()
    counts = {k: int(data.get(k, 0)) for k in ("users", "pages", "actions", "usergroups")}
    return json_response(200, seed.seed(conn, **counts, rng_seed=int(data.get("seed", 1))))


def list_table(name: str):
    def view(app, conn, request) -> Response:
        return resources.list_objects(conn, name, request)

    return view


def create_user(app, conn, request) -> Response:
    data = request.data()
    response = writes.user_create(conn, data)
    if response.status != 201:
        return response
    user_id = int(dict(response.headers)["Location"].rstrip("/").rsplit("/", 1)[-1])
    with db.write(conn):
        for phone in data.get("phones") or []:
            writes.phone_add(conn, user_id, phone["phone"], phone.get("type", "mobile"))
    return resources.get_object(conn, "user", str(user_id))


def create_page(app, conn, request) -> Response:
    data = request.data()
    kind = str(data.get("type", "Import"))
    response = writes.page_create(conn, data, kind=kind, resource=f"{kind.lower()}page")
    if response.status != 201:
        return response
    return resources.get_object(conn, "page", dict(response.headers)["Location"].rstrip("/").rsplit("/", 1)[-1])


def create_push_endpoint(app, conn, request) -> Response:
    """{"name": ..., "url": "http://127.0.0.1:8000/hooks/...", "pages": [id or short name, ...]}"""
    data = request.data()
    try:
        endpoint = pushes.endpoint_create(conn, name=str(data.get("name") or ""), url=str(data.get("url") or ""),
                                          pages=list(data.get("pages") or []))
    except pushes.PushError as exc:
        return json_response(400, {"error": str(exc)})
    return json_response(201, endpoint)


def list_push_endpoints(app, conn, request) -> Response:
    return json_response(200, {"objects": pushes.endpoints(conn)})


def list_pushes(app, conn, request) -> Response:
    rows = conn.execute("SELECT * FROM push_log ORDER BY id").fetchall()
    return json_response(200, {"objects": [dict(row) for row in rows]})


def add_staff(app, conn, request) -> Response:
    data = request.data()
    with db.write(conn):
        conn.execute(
            "INSERT OR REPLACE INTO staff (username, password) VALUES (?, ?)", (data["username"], data["password"])
        )
    app._staff = None
    return json_response(200, {"username": data["username"]})


def inspector(conn, request: Request) -> Response:
    tab = request.param("tab", "orders") if request.param("tab") in TABS else "orders"
    page = max(1, int(request.param("page", "1") or 1))
    table, columns = TABS[tab]
    rows = conn.execute(
        f"SELECT {', '.join(columns)} FROM {table} ORDER BY id DESC LIMIT ? OFFSET ?",
        (INSPECTOR_PAGE_SIZE, (page - 1) * INSPECTOR_PAGE_SIZE),
    ).fetchall()
    total = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    nav = " | ".join(f'<a href="?tab={t}">{t}</a>' if t != tab else f"<b>{t}</b>" for t in TABS)
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    pager = "".join(
        [
            f'<a href="?tab={tab}&page={page - 1}">newer</a> ' if page > 1 else "",
            f'<a href="?tab={tab}&page={page + 1}">older</a>' if page * INSPECTOR_PAGE_SIZE < total else "",
        ]
    )
    return html(
        f"<!doctype html><html><head><title>ActionKit sandbox: {tab}</title></head><body>"
        f"<h1>ActionKit sandbox</h1><nav>{nav}</nav><p>{total} {tab}, latest first, page {page}</p>"
        f"<table border=1 cellpadding=3><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<p>{pager}</p></body></html>"
    )


ROUTES = {
    ("GET", "stats"): stats,
    ("POST", "limits"): set_limits,
    ("POST", "faults"): inject,
    ("GET", "quirks"): list_quirks,
    ("POST", "quirks"): set_quirk,
    ("DELETE", "quirks"): quirks_off,
    ("POST", "reset"): reset,
    ("POST", "seed"): run_seed,
    ("GET", "orders"): list_table("order"),
    ("GET", "users"): list_table("user"),
    ("GET", "actions"): list_table("action"),
    ("GET", "recurring"): list_table("orderrecurring"),
    ("POST", "users"): create_user,
    ("POST", "pages"): create_page,
    ("POST", "staff"): add_staff,
    ("POST", "push_endpoints"): create_push_endpoint,
    ("GET", "push_endpoints"): list_push_endpoints,
    ("GET", "pushes"): list_pushes,
}
