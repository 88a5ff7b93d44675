"""An organization's ActBlue identity (its own entity ids and committee name) and its webhook credentials.

Everything here is the tenant's own claim and only ever changes how the tenant's own ledger is routed to the
tenant's own ActionKit, so no value a tenant enters can reach or block another tenant.
"""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from actblue.models import ActBlueProfile, Form, LineItem
from integrations.models import Entity
from integrations.services.audit import audit_record

WEBHOOK_USERNAME_PREFIX = "akb-"


def password_digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def profile_ensure(*, entity: Entity) -> ActBlueProfile:
    profile, _ = ActBlueProfile.objects.get_or_create(entity=entity)
    return profile


def forms_managed_refresh(*, profile: ActBlueProfile) -> int:
    """Recompute which of the tenant's forms it manages, after its own ids or committee name changed.

    A form is managed when a line item on it goes to someone other than the organization (ActBlue sends other
    recipients' line items only to the entity managing the form), or when its managing entity is the organization.
    """
    others = LineItem.objects.filter(form=OuterRef("pk")).exclude(recipient_actblue_id__in=sorted(profile.own_ids))
    forms = Form.objects.filter(entity_id=profile.entity_id)
    manager = Q(pk__in=[])
    if profile.committee_name:
        name = profile.committee_name.strip()
        manager = Q(managing_entity_committee_name__iexact=name) | Q(managing_entity_name__iexact=name)
    changed = forms.filter(Exists(others) | manager).exclude(managed=True).update(managed=True)
    return changed + forms.exclude(Exists(others) | manager).exclude(managed=False).update(managed=False)


@transaction.atomic
def actblue_identity_set(*, entity: Entity, entity_ids: list[int], committee_name: str = "", actor=None) -> ActBlueProfile:
    """Record the organization's own ActBlue entity id(s) and committee name (Settings, demo, tests)."""
    profile = ActBlueProfile.objects.select_for_update().filter(entity=entity).first() or profile_ensure(entity=entity)
    before = {"entity_ids": list(profile.entity_ids), "committee_name": profile.committee_name}
    profile.entity_ids = sorted({int(i) for i in entity_ids})
    profile.committee_name = (committee_name or "").strip()[:200]
    profile.save(update_fields=["entity_ids", "committee_name"])
    forms_managed_refresh(profile=profile)
    after = {"entity_ids": profile.entity_ids, "committee_name": profile.committee_name}
    if after != before:
        audit_record(entity=entity, actor=actor, action="actblue.identity_changed",
                     target=", ".join(map(str, profile.entity_ids)) or "none",
                     changes={key: [before[key], after[key]] for key in after if before[key] != after[key]})
    return profile


def own_ids_learn(*, profile: ActBlueProfile, line_items: list[dict]) -> None:
    """Learn the organization's own entity id from its first notification, when it has named none yet.

    Safe cases only: the body names exactly one recipient, or exactly one whose committee name is the
    organization's. A tandem gift to several others waits for the organization to name its id in Settings.
    The caller holds the profile row locked.
    """
    if profile.entity_ids:
        return
    names = {item["entityId"]: (item.get("committeeName") or "").strip() for item in line_items}
    own_name = (profile.committee_name or profile.entity.name).strip().casefold()
    named = [i for i, name in names.items() if name.casefold() == own_name]
    chosen = named if len(named) == 1 else list(names) if len(names) == 1 else []
    if not chosen:
        return
    profile.entity_ids = [chosen[0]]
    profile.committee_name = profile.committee_name or names[chosen[0]][:200]
    profile.save(update_fields=["entity_ids", "committee_name"])
    audit_record(entity=profile.entity, actor=None, action="actblue.identity_learned", target=str(chosen[0]),
                 changes={"entity_ids": [[], profile.entity_ids]})


@transaction.atomic
def webhook_credentials_create(*, entity: Entity, actor) -> tuple[ActBlueProfile, str]:
    """New webhook URL token, username and password; the old ones stop working at once. The password is returned once."""
    profile = ActBlueProfile.objects.select_for_update().filter(entity=entity).first() or profile_ensure(entity=entity)
    rotated = bool(profile.webhook_token)
    password = secrets.token_urlsafe(32)
    profile.webhook_token = secrets.token_urlsafe(18)
    profile.webhook_username = WEBHOOK_USERNAME_PREFIX + secrets.token_hex(6)
    profile.webhook_password_digest = password_digest(password)
    profile.webhook_created_at = timezone.now()
    profile.save(update_fields=["webhook_token", "webhook_username", "webhook_password_digest", "webhook_created_at"])
    audit_record(entity=entity, actor=actor, action="actblue.webhook_rotated" if rotated else "actblue.webhook_created",
                 target=profile.webhook_username)
    return profile, password


def webhook_profile_authenticate(*, token: str, username: str, password: str) -> ActBlueProfile | None:
    """The profile whose webhook URL token, username and password all match; None otherwise (constant time)."""
    profile = ActBlueProfile.objects.select_related("entity").filter(webhook_token=token).first() if token else None
    expected_user = profile.webhook_username if profile else "-"
    expected_digest = profile.webhook_password_digest if profile else password_digest("-")
    user_ok = hmac.compare_digest(expected_user.encode(), username.encode())
    password_ok = hmac.compare_digest(expected_digest, password_digest(password))
    return profile if profile and user_ok and password_ok and profile.webhook_password_digest else None


def webhook_received(*, profile: ActBlueProfile, status: int) -> None:
    """Remember when ActBlue last reached us and what we answered (shown on the details page)."""
    ActBlueProfile.objects.filter(pk=profile.pk).update(webhook_last_received_at=timezone.now(),
                                                        webhook_last_status=status)
