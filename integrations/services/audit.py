from typing import Any

from django.utils import timezone

from integrations.models import AuditEvent, Entity

SECRET_FIELD_NAMES = {"password", "secret", "secrets", "api_key", "token"}


def audit_record(*, entity: Entity, actor, action: str, target: str = "", changes: dict[str, Any] | None = None) -> AuditEvent:
    """Record who changed what. Secret values are replaced by a marker, so the trail never holds a credential."""
    clean = {key: ("[changed]" if key in SECRET_FIELD_NAMES else value) for key, value in (changes or {}).items()}
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(entity=entity, actor=actor, action=action, target=target, changes=clean)


def revocation_record(*, row, actor, action: str, target: str):
    """Stamp `row.revoked_at` (an invitation or an API key) and audit it; the caller holds the transaction."""
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    audit_record(entity=row.entity, actor=actor, action=action, target=target)
    return row
