"""The page-webhook receiver: authenticate by the secret URL, store once per action id, answer 2xx at once.

The work (member lookup, groups, automations) runs in a task after the response. Refusals name the problem and
are logged with the connection id and reason only: never the body, which holds people's details.

`page_hook_answer` decides every answer. Django serves it through `page_action_hook`; `strive.activity.wsgi`
serves the common case (a JSON or form-encoded POST) in front of Django's middleware, which a request from
ActionKit's servers does not need, at a fraction of the cost.
"""

import logging
import re
from collections.abc import Callable
from typing import NoReturn
from urllib.parse import parse_qsl

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.ids import id_in_range
from integrations.parsers import NestedTooDeeply, json_loads
from strive.activity.mapping import WebhookBodyError, webhook_body_to_action
from strive.activity.services.webhooks import webhook_authenticate, webhook_store

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024  # An action with its fields is a few KB; anything this big is not one.
JSON, FORM, MULTIPART = "application/json", "application/x-www-form-urlencoded", "multipart/form-data"
UNKNOWN_URL = "Unknown webhook URL. Copy the current one from the integration's settings."
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # secrets.token_urlsafe's alphabet; WebhookSecret.token's length.


class _Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def body_from_bytes(content_type: str, raw: bytes) -> dict:
    """A JSON or form-encoded body as a dict (a form field sent twice keeps its last value, as request.POST.get)."""
    if content_type == JSON:
        try:
            return json_loads(raw or b"null")
        except NestedTooDeeply as exc:
            raise WebhookBodyError(str(exc)) from exc
        except ValueError as exc:  # UnicodeDecodeError is one too.
            raise WebhookBodyError("The body is not valid JSON.") from exc
    if content_type == FORM:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    raise _Refused(415, "Send application/json or a form post.")


def page_hook_answer(*, connection_id: int, token: str, content_length: int,
                     read_body: Callable[[], dict]) -> tuple[int, dict]:
    """(HTTP status, JSON answer) for one page-webhook POST."""
    try:
        return _answer(connection_id, token, content_length, read_body)
    except _Refused as refusal:
        logger.warning("strive.webhook.refused",
                       extra={"connection_id": connection_id, "status": refusal.status, "reason": refusal.reason})
        return refusal.status, {"error": refusal.reason}


def _answer(connection_id: int, token: str, content_length: int, read_body: Callable[[], dict]) -> tuple[int, dict]:
    if content_length > MAX_BODY_BYTES:
        raise _Refused(413, "The body is too large for one action.")
    if id_in_range(connection_id) is None or not TOKEN_SHAPE.fullmatch(token):
        # No URL we hand out looks like this, and the database would refuse the id (out of range) or the token (a
        # NUL byte, on PostgreSQL) with an error, so it is the unknown-URL answer without asking.
        raise _Refused(404, UNKNOWN_URL)
    try:
        body = read_body()
        action = webhook_body_to_action(body)
    except WebhookBodyError as exc:
        _refuse_unless_known(connection_id, token, _Refused(400, str(exc)))
    except _Refused as refusal:
        _refuse_unless_known(connection_id, token, refusal)
    stored = webhook_store(connection_id=connection_id, token=token, action=action, payload=body)
    if stored is None:
        raise _Refused(404, UNKNOWN_URL)
    if stored:
        return 202, {"status": "accepted", "action_id": action.ak_id}
    return 200, {"status": "duplicate", "action_id": action.ak_id}


def _refuse_unless_known(connection_id: int, token: str, refusal: _Refused) -> NoReturn:
    """What is wrong with a body is told only to the holder of a valid URL; anyone else gets the 404."""
    if webhook_authenticate(connection_id=connection_id, token=token) is None:
        raise _Refused(404, UNKNOWN_URL)
    raise refusal


def _request_body(request) -> dict:
    content_type = request.content_type or ""
    if content_type == MULTIPART:
        return {key: request.POST.get(key) for key in request.POST}
    return body_from_bytes(content_type, request.body)


@csrf_exempt
@require_POST
def page_action_hook(request, connection_id: int, token: str):
    try:
        content_length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return JsonResponse({"error": "Invalid Content-Length."}, status=400)  # As strive.activity.wsgi answers.
    status, answer = page_hook_answer(connection_id=connection_id, token=token, content_length=content_length,
                                      read_body=lambda: _request_body(request))
    return JsonResponse(answer, status=status)
