"""The sandbox WSGI application: auth, limits, faults and routing."""

from __future__ import annotations

import ipaddress
import json
import re
import time

from actionkit.sandbox import actblue, db, resources, schema, sql, updates, writes
from actionkit.sandbox.control import Control
from actionkit.sandbox.control_views import handle_control
from actionkit.sandbox.pushes import Pusher
from actionkit.sandbox.web import Request, Response, empty, json_response

REST_RE = re.compile(r"^/rest/v1/(?:(?P<resource>[a-z_]+)/(?:(?P<key>[^/]+)/)?)?$")
WEBHOOK_PATH = "/webhooks/actblue/payments/"
UNAUTHORIZED_HEADERS = [("WWW-Authenticate", 'Basic Realm="django-tastypie"')]
TRANSIENT_BODY = {"error": "Sorry, this request could not be processed. Please try again later."}
CREATORS = {
    "user": writes.user_create,
    "phone": writes.phone_create,
    "alloweduserfield": writes.allowed_field_create,
    "userfield": writes.userfield_create,
    "importpage": writes.page_create,
    "usergroup": writes.usergroup_create,
    "action": writes.action_process,
}
USER_GROUPS = frozenset({"groups"})  # What quirk users_without_groups takes away from user/.
TOUCHES_USER = frozenset({"phone", "userfield"})  # Writes the quirk phone_field_writes_keep_updated_at changes.
DETAIL_WRITES = {  # (resource, method) -> updates.<function>(conn, pk, data, touch_user); PUT answers 204, not 202
    ("user", "PATCH"): updates.user_update,
    ("user", "PUT"): updates.user_update,
    ("user", "DELETE"): updates.user_delete,
    ("phone", "PATCH"): updates.phone_update,
    ("phone", "PUT"): updates.phone_update,
    ("userfield", "PATCH"): updates.userfield_update,
    ("userfield", "PUT"): updates.userfield_update,
    **{(f"{kind}action", m): updates.action_update for kind in resources.PAGE_TYPES for m in ("PATCH", "PUT")},
}


class SandboxApp:
    def __init__(self, db_path: str):
        db.init(db_path)
        self.db_path = db_path
        self.control = Control()
        self.pusher = Pusher(db_path)
        self.reports = sql.SqlReports(db_path)
        self._staff: dict[str, str] | None = None

    def conn(self):
        return db.thread_conn(self.db_path)

    def __call__(self, environ, start_response):
        request = Request.from_environ(environ)
        try:
            response = self.dispatch(request)
        except ValueError:
            response = json_response(400, {"errors": ["Malformed request body."]})
        return response.start(start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox"):
            if not _is_loopback(request.remote_addr):
                return empty(403)
            return handle_control(self, request)
        if not request.path.endswith("/") and request.path.startswith(("/rest/", "/webhooks/")):
            query = f"?{request.query_string}" if request.query_string else ""
            return self.locate(request, empty(301, [("Location", request.path + "/" + query)]))
        if not (request.path.startswith("/rest/v1/") or request.path == WEBHOOK_PATH):
            return empty(404)
        return self.locate(request, self.limited(request))

    def locate(self, request: Request, response: Response) -> Response:
        """Location headers as absolute URLs, as ActionKit sends them (changelab cassettes: 201, 301 and 409)."""
        if self.control.quirk("relative_locations"):
            return response
        environ = request.environ
        origin = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST') or environ.get('SERVER_NAME')}"
        response.headers = [
            (k, origin + v if k == "Location" and v.startswith("/") else v) for k, v in response.headers
        ]
        return response

    def limited(self, request: Request) -> Response:
        reason = self.control.admit()
        if reason is not None:
            return json_response(429, {"error": reason})
        records = 1
        try:
            fault_response = self.fault(request)
            if fault_response is not None:
                return fault_response
            if not self.authenticated(request):
                return empty(401, UNAUTHORIZED_HEADERS)
            response = self.route(request)
            records = response.records
            return response
        finally:
            self.control.leave(records)

    def fault(self, request: Request) -> Response | None:
        fault = self.control.next_fault()
        if fault is None:
            return None
        self.control.count("faults")
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return None
        if fault.kind == "401":
            return empty(401, UNAUTHORIZED_HEADERS)
        if fault.kind == "429":
            return empty(429, [("Retry-After", fault.retry_after)] if fault.retry_after else [])
        return json_response(int(fault.kind), TRANSIENT_BODY)

    def authenticated(self, request: Request) -> bool:
        if self._staff is None:
            rows = self.conn().execute("SELECT username, password FROM staff").fetchall()
            self._staff = {r["username"]: r["password"] for r in rows}
        return request.auth is not None and self._staff.get(request.auth[0]) == request.auth[1]

    def route(self, request: Request) -> Response:
        if request.path == WEBHOOK_PATH:
            return actblue.handle(self.conn(), request) if request.method == "POST" else empty(405)
        if request.path == sql.PATH:
            if self.control.forbids("report"):
                return empty(401)
            return self.reports.run(request.data()) if request.method == "POST" else empty(405)
        match = REST_RE.match(request.path)
        if match is None:
            return empty(404)
        name, key = match["resource"], match["key"]
        if name is None:
            return json_response(
                200,
                {
                    n: {"list_endpoint": f"/rest/v1/{n}/", "schema": f"/rest/v1/{n}/schema/"}
                    for n in resources.RESOURCES
                },
            )
        if name not in resources.RESOURCES and name not in CREATORS:
            return empty(404)
        if self.control.forbids(name):
            return empty(401)  # tastypie's unauthorized_result: a bare 401, no WWW-Authenticate challenge.
        if key == "schema":
            return self.schema(name) if request.method == "GET" else empty(405)
        return self.resource(request, name, key)

    def resource(self, request: Request, name: str, key: str | None) -> Response:
        conn, method = self.conn(), request.method
        if method == "GET":
            if key is None and name in resources.RESOURCES:
                hidden = USER_GROUPS if name == "user" and self.control.quirk("users_without_groups") else frozenset()
                lenient = schema.field_names(name) - hidden if self.control.quirk("unknown_filters_ignored") else None
                response = resources.list_objects(conn, name, request, ignore_unknown_in=lenient, hidden=hidden)
            else:
                response = resources.get_object(conn, name, key) if key is not None else empty(405)
            if name == "usergroup" and self.control.quirk("usergroups_without_id"):
                return _without(response, "id")
            if name == "user" and self.control.quirk("users_without_groups"):
                return _without(response, "groups")
            return response
        touch_user = not (name in TOUCHES_USER and self.control.quirk("phone_field_writes_keep_updated_at"))
        if method == "POST" and key is None and name in CREATORS:
            extra = {"touch_user": touch_user} if name in TOUCHES_USER else {}
            response = CREATORS[name](conn, request.data(), **extra)
            if name == "action" and response.status == 201:
                self.pusher.action_taken(conn, json.loads(response.body)["id"])
            return response
        if (name, method) not in DETAIL_WRITES or not (key and key.isdigit()):
            return empty(405)
        response = DETAIL_WRITES[name, method](conn, int(key), request.data(), touch_user)
        return empty(204) if method == "PUT" and response.status == 202 else response

    def schema(self, name: str) -> Response:
        if name not in resources.RESOURCES:
            return empty(404)
        detail = ["get", *sorted({m.lower() for (n, m) in DETAIL_WRITES if n == name})]
        lists = ["get", "post"] if name in CREATORS else ["get"]
        return json_response(200, schema.build(name, list_methods=lists, detail_methods=detail))


def _without(response: Response, key: str) -> Response:
    """Quirks usergroups_without_id and users_without_groups: the same answer with ``key`` taken out of every
    object."""
    if response.status != 200:
        return response
    body = json.loads(response.body)
    for obj in body.get("objects", [body]):
        obj.pop(key, None)
    stripped = json_response(200, body)
    stripped.records = response.records
    return stripped


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address or "0.0.0.0").is_loopback  # noqa: S104
    except ValueError:
        return False
