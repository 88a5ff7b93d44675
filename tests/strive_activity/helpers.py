"""Helpers the activity tests share across modules: a connection to the sandbox, an action taken in it, and a
request through the production WSGI application."""

import io
import json
from wsgiref.util import setup_testing_defaults

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import application
from integrations.models import Connection
from strive.services.fields import core_mappings_ensure


def sandbox_connection(entity, ak_sandbox) -> Connection:
    """A member-sync connection of `entity` to the sandbox, with Sync Accounts on and the core fields mapped."""
    connection = Connection.objects.create(
        entity=entity, kind="strive_actionkit", host=ak_sandbox.host, records_per_minute=1_000_000,
        config={"username": ak_sandbox.username, "sync_accounts": True, "opt_in_field": "sms_opt_in"},
        secrets={"password": ak_sandbox.password})
    core_mappings_ensure(connection=connection)
    return connection


def take_action(ak_client, page: str, n: int, **fields) -> dict:
    """Person `n` (with a phone and the SMS opt-in) takes an action on `page` in the sandbox."""
    return ak_client.action_process(page=page, email=f"person{n}@example.org",
                                    core={"first_name": f"Person{n}", "phone": f"202-555-01{n:02d}"},
                                    user_fields={"sms_opt_in": "yes"}, action_fields=fields)


def wsgi_call(path: str, body: bytes = b"", *, method: str = "POST", content_type: str = "application/json",
              app=application, **extra) -> tuple[int, dict, dict]:
    """One request through the WSGI application as production serves it: (status, JSON body or {}, headers)."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "CONTENT_TYPE": content_type,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "SERVER_NAME": "testserver",
               "HTTP_HOST": "testserver", **extra}
    setup_testing_defaults(environ)
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    # As Django's test client does: the test's connection holds its transaction, so requests must not close it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(app(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    is_json = answer["headers"].get("Content-Type", "").startswith("application/json")
    return answer["status"], (json.loads(content) if is_json else {}), answer["headers"]
