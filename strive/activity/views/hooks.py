"""The page-webhook receiver: authenticate by the secret URL, store once per action id, answer 2xx at once.

The work (member lookup, groups, automations) runs in a task after the response. Refusals name the problem and
are logged with the connection id and reason only: never the body, which holds people's details.
"""

import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from strive.activity.mapping import WebhookBodyError, webhook_body_to_action
from strive.activity.services.webhooks import webhook_authenticate, webhook_receive

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024  # An action with its fields is a few KB; anything this big is not one.


def _refuse(status: int, reason: str, connection_id: int) -> JsonResponse:
    logger.warning("strive.webhook.refused", extra={"connection_id": connection_id, "status": status, "reason": reason})
    return JsonResponse({"error": reason}, status=status)


def _body(request) -> dict:
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            return json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookBodyError("The body is not valid JSON.") from exc
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {key: request.POST.get(key) for key in request.POST}
    raise WebhookBodyError("Send application/json or a form post.")


@csrf_exempt
@require_POST
def page_action_hook(request, connection_id: int, token: str):
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return _refuse(413, "The body is too large for one action.", connection_id)
    connection = webhook_authenticate(connection_id=connection_id, token=token)
    if connection is None:
        return _refuse(404, "Unknown webhook URL. Copy the current one from the integration's settings.", connection_id)
    try:
        body = _body(request)
        action = webhook_body_to_action(body)
    except WebhookBodyError as exc:
        return _refuse(415 if "Send application" in str(exc) else 400, str(exc), connection_id)
    is_new = webhook_receive(connection=connection, action=action, payload=body)
    status = 202 if is_new else 200
    return JsonResponse({"status": "accepted" if is_new else "duplicate", "action_id": action.ak_id}, status=status)
