from django.db import transaction

from integrations.api_auth import api_key_generate
from integrations.models import ApiCredential, Entity
from integrations.services.audit import audit_record, revocation_record


@transaction.atomic
def api_credential_create(*, entity: Entity, name: str, actor) -> tuple[ApiCredential, str]:
    """Make a key. The full key is returned once and never stored."""
    full_key, prefix, key_hash = api_key_generate()
    credential = ApiCredential.objects.create(entity=entity, name=name, prefix=prefix, key_hash=key_hash,
                                              created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(entity=entity, actor=actor, action="api_key.created", target=name)
    return credential, full_key


@transaction.atomic
def api_credential_revoke(*, credential: ApiCredential, actor) -> ApiCredential:
    return revocation_record(row=credential, actor=actor, action="api_key.revoked", target=credential.name)


@transaction.atomic
def api_credential_rotate(*, credential: ApiCredential, actor) -> tuple[ApiCredential, str]:
    api_credential_revoke(credential=credential, actor=actor)
    return api_credential_create(entity=credential.entity, name=credential.name, actor=actor)
