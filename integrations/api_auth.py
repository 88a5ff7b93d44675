"""Per-entity API keys for the DRF endpoints: `Authorization: Bearer <prefix>.<secret>`; only a hash is stored."""

import hashlib
import hmac
import secrets

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from integrations.models import ApiCredential


def api_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_generate() -> tuple[str, str, str]:
    """Returns (full key shown once, prefix, hash)."""
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    return f"{prefix}.{secret}", prefix, api_key_hash(secret)


class ApiClient(AnonymousUser):
    """The principal behind an API key: it belongs to exactly one entity."""

    def __init__(self, credential: ApiCredential):
        super().__init__()
        self.credential = credential
        self.entity = credential.entity

    @property
    def is_authenticated(self) -> bool:
        return True


class EntityApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2 or b"." not in parts[1]:
            raise exceptions.AuthenticationFailed("Malformed API key; expected 'Bearer <prefix>.<secret>'.")
        prefix, _, secret = parts[1].decode(errors="replace").partition(".")
        credential = ApiCredential.objects.select_related("entity").filter(prefix=prefix, revoked_at__isnull=True).first()
        # Compare in constant time, and do the hashing even for an unknown prefix so timing reveals nothing.
        expected = credential.key_hash if credential else api_key_hash("unknown")
        if not hmac.compare_digest(expected, api_key_hash(secret)) or credential is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=timezone.now())
        return ApiClient(credential), credential

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
except ImportError:  # pragma: no cover - drf-spectacular is a dependency; this only keeps the module importable alone.
    OpenApiAuthenticationExtension = None

if OpenApiAuthenticationExtension is not None:

    class EntityApiKeyScheme(OpenApiAuthenticationExtension):
        """Describes the API key in the OpenAPI schema, so clients (and the schemathesis fuzzer) know to send it."""

        target_class = "integrations.api_auth.EntityApiKeyAuthentication"
        name = "EntityApiKey"

        def get_security_definition(self, auto_schema):
            return {"type": "http", "scheme": "bearer", "bearerFormat": "<prefix>.<secret>",
                    "description": "A per-entity API key from the entity's API keys page."}
