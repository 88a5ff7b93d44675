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


def own_link_learn(*, entity: Entity, line_items: list[dict]) -> None:
    """Learn the posting entity's own ActBlue entityId from its first notification, when it has none yet.

    Safe cases only: the body names exactly one entity nobody is linked to, or exactly one whose committee name is
    the entity's name. Anything else (a tandem gift to several unknown committees) waits for an operator.
    """
    if ActBlueEntityLink.objects.filter(entity=entity).exists():
        return
    names = {item["entityId"]: (item.get("committeeName") or "").strip() for item in line_items}
    unknown = set(names) - set(ActBlueEntityLink.objects.filter(actblue_entity_id__in=list(names))
                               .values_list("actblue_entity_id", flat=True))
    named = [i for i in unknown if names[i].casefold() == entity.name.strip().casefold()]
    chosen = named if len(named) == 1 else list(unknown) if len(unknown) == 1 else []
    if chosen:
        try:
            with transaction.atomic():
                ActBlueEntityLink.objects.create(entity=entity, actblue_entity_id=chosen[0],
                                                 committee_name=names[chosen[0]][:200])
        except IntegrityError:
            pass  # A concurrent request linked it first.
