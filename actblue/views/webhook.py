"""ActBlue's own webhooks: HTTP Basic auth with the username and password we generated for the organization.

ActBlue's dashboard registers a webhook as a URL plus a username and password the receiver chooses, so each
organization gets a URL with a random token and a generated pair. One URL takes contributions, refunds and
cancellations, deciding the kind from the body as ActionKit's endpoint does. A body is recorded in the request's
own transaction before the 2xx goes out, so an accepted body is never lost, and a resend is answered 200.
"""

import base64
import binascii

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.views import APIView

from actblue.api import notification_respond
from actblue.models import ActBlueProfile
from actblue.services.profile import webhook_profile_authenticate, webhook_received

REALM = 'Basic realm="AKbridge ActBlue webhook", charset="UTF-8"'


class WebhookSender(AnonymousUser):
    """ActBlue, sending for one organization: the principal behind a webhook's Basic credentials."""

    def __init__(self, profile: ActBlueProfile):
        super().__init__()
        self.profile, self.entity = profile, profile.entity

    @property
    def is_authenticated(self) -> bool:
        return True


class ActBlueBasicAuthentication(BaseAuthentication):
    """The URL token, username and password must all match; every failure reads the same, so none reveals which."""

    failure = "Wrong or missing webhook username and password for this URL."

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"basic":
            raise exceptions.NotAuthenticated(self.failure)
        try:
            username, _, password = base64.b64decode(parts[1], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise exceptions.AuthenticationFailed(self.failure) from None
        token = (request.parser_context or {}).get("kwargs", {}).get("token", "")
        profile = webhook_profile_authenticate(token=token, username=username, password=password)
        if profile is None:
            raise exceptions.AuthenticationFailed(self.failure)
        return WebhookSender(profile), profile

    def authenticate_header(self, request):
        return REALM


class ActBlueWebhookView(APIView):
    authentication_classes = [ActBlueBasicAuthentication]
    throttle_classes: list = []

    # ActBlue's own format on ActBlue's terms: the details page documents it; the API schema covers the Bearer API.
    @extend_schema(exclude=True)
    def post(self, request, token):
        response = notification_respond(entity=request.user.entity, body=request.data)
        webhook_received(profile=request.user.profile, status=response.status_code)
        return response

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        sender = getattr(self.request, "_user", None)
        if isinstance(sender, WebhookSender):  # A bad body from the right sender is still a webhook received.
            webhook_received(profile=sender.profile, status=response.status_code)
        return response
