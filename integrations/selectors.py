"""Reads. Every tenant-owned read goes through an entity the user belongs to; anything else is a 404."""

from django.db.models import QuerySet
from django.http import Http404

from integrations.models import AuditEvent, Connection, Delivery, Entity, ImportJob, Invitation, Membership


def membership_for(*, user, entity: Entity) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, entity=entity).first()


def entity_get_for_user(*, user, slug: str, perm: str = "integrations") -> tuple[Entity, Membership]:
    """The entity and the user's membership, or Http404 — never a 403 that would confirm the entity exists.

    perm: "integrations" (admin or Integrations permission), "admin" (entity admin) or "member" (any member).
    """
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = Membership.objects.select_related("entity").filter(user=user, entity__slug=slug).first()
    if membership is None:
        raise Http404
    allowed = {
        "member": True,
        "integrations": membership.may_manage_integrations,
        "admin": membership.role == Membership.Role.ADMIN,
    }[perm]
    if not allowed:
        raise Http404
    return membership.entity, membership


def entity_list_for_user(*, user) -> QuerySet[Entity]:
    if not getattr(user, "is_authenticated", False):
        return Entity.objects.none()
    return Entity.objects.filter(memberships__user=user).order_by("name")


def connection_get(*, entity: Entity, kind: str) -> Connection | None:
    return Connection.objects.filter(entity=entity, kind=kind).first()


def connection_list(*, entity: Entity) -> QuerySet[Connection]:
    return Connection.objects.filter(entity=entity)


def delivery_list_recent(*, connection: Connection, limit: int = 25, before_id: int | None = None) -> list[Delivery]:
    """Newest first, keyset-paginated on id so the page costs the same at any depth."""
    rows = Delivery.objects.filter(connection=connection)
    if before_id:
        rows = rows.filter(id__lt=before_id)
    return list(rows.order_by("-id").only(
        "id", "key", "event_type", "lane", "status", "attempts", "last_status_code", "last_error",
        "remote_ref", "created_at", "delivered_at", "next_attempt_at", "connection_id")[:limit])


def delivery_get(*, entity: Entity, delivery_id: int) -> Delivery:
    delivery = Delivery.objects.select_related("connection").filter(pk=delivery_id, connection__entity=entity).first()
    if delivery is None:
        raise Http404
    return delivery


def audit_list(*, entity: Entity, limit: int = 50, before_id: int | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(entity=entity).select_related("actor")
    if before_id:
        rows = rows.filter(id__lt=before_id)
    return list(rows.order_by("-id")[:limit])


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state (the page explains an expired one), or None."""
    return Invitation.objects.select_related("entity").filter(token_hash=Invitation.hash_token(token)).first()


def invitation_list_pending(*, entity: Entity) -> QuerySet[Invitation]:
    """Invitations not yet accepted or revoked, expired ones included so they can be sent again."""
    return (Invitation.objects.filter(entity=entity, accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("invited_by").order_by("email"))


def import_job_get(*, entity: Entity, job_id: int) -> ImportJob:
    """The entity's job, without its file; another tenant's id is a 404."""
    job = ImportJob.objects.defer("content").filter(pk=job_id, entity=entity).first()
    if job is None:
        raise Http404
    return job


def import_job_list(*, entity: Entity, kind: str, limit: int = 10) -> list[ImportJob]:
    return list(ImportJob.objects.defer("content", "errors").filter(entity=entity, kind=kind)
                .select_related("created_by").order_by("-id")[:limit])
