"""Resolve ActBlue's numeric entityId to a hub entity."""

from django.db import IntegrityError, transaction

from actblue.models import ActBlueEntityLink
from integrations.models import Entity
from integrations.services.audit import audit_record


def recipient_entity(*, actblue_entity_id: int, committee_name: str = "") -> Entity:
    """The hub entity for an ActBlue entityId, created (without members) the first time a recipient is seen.

    Recipients of tandem gifts are often committees nobody here manages; they still need a row, because their
    line items are theirs and must never be booked as the posting entity's revenue.
    """
    link = ActBlueEntityLink.objects.select_related("entity").filter(actblue_entity_id=actblue_entity_id).first()
    if link:
        return link.entity
    try:
        with transaction.atomic():
            entity = Entity.objects.create(name=(committee_name or f"ActBlue entity {actblue_entity_id}")[:200],
                                           slug=f"actblue-{actblue_entity_id}")
            ActBlueEntityLink.objects.create(entity=entity, actblue_entity_id=actblue_entity_id,
                                             committee_name=committee_name[:200])
            return entity
    except IntegrityError:  # Another request created it a moment ago.
        return ActBlueEntityLink.objects.select_related("entity").get(actblue_entity_id=actblue_entity_id).entity


@transaction.atomic
def entity_link_set(*, entity: Entity, actblue_entity_id: int, committee_name: str = "", actor=None) -> ActBlueEntityLink:
    """Record which ActBlue entity a hub entity is (demo data, admin, tests)."""
    link, _ = ActBlueEntityLink.objects.update_or_create(
        entity=entity, defaults={"actblue_entity_id": actblue_entity_id, "committee_name": committee_name or entity.name})
    audit_record(entity=entity, actor=actor, action="actblue.entity_linked", target=str(actblue_entity_id))
    return link
