from django.db import transaction
from django.utils.text import slugify

from integrations.models import Entity, Membership
from integrations.services.audit import audit_record


@transaction.atomic
def entity_create(*, name: str, slug: str | None = None, admin=None) -> Entity:
    entity = Entity.objects.create(name=name, slug=slug or slugify(name)[:80])
    if admin is not None:
        Membership.objects.create(user=admin, entity=entity, role=Membership.Role.ADMIN)
    return entity


@transaction.atomic
def membership_update(*, membership: Membership, role: str, can_manage_integrations: bool, actor=None) -> Membership:
    before = {"role": membership.role, "integrations_permission": membership.can_manage_integrations}
    membership.role, membership.can_manage_integrations = role, can_manage_integrations
    membership.save(update_fields=["role", "can_manage_integrations"])
    after = {"role": role, "integrations_permission": can_manage_integrations}
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    audit_record(entity=membership.entity, actor=actor, action="membership.updated",
                 target=membership.user.get_username(), changes=changes)
    return membership


@transaction.atomic
def entity_set_paused(*, entity: Entity, paused: bool, actor=None) -> Entity:
    entity.paused = paused
    entity.save(update_fields=["paused"])
    audit_record(entity=entity, actor=actor, action="entity.paused" if paused else "entity.resumed")
    return entity
