"""Member changes go to ActionKit through the hub's outbox, exactly like contributions: one Delivery per change.

The key `strive:member:<id>:<hash>` makes a repeated change a no-op; the kind's `send` (strive.sender) runs action
processing on the integration's import page.
"""

import json
from dataclasses import dataclass, field

from django.db import transaction

from integrations.models import Delivery
from integrations.services.deliveries import delivery_enqueue
from strive.models import Member, MemberLink, ScannedUser
from strive.services.config import connection_for_entity, sync_settings
from strive.services.fields import mappings_for
from strive.services.values import member_value, values_hash
from strive.syncrules import opt_in_format

EVENT_UPDATE = "member.update"
EVENT_CREATE = "member.create"


@dataclass
class PushPlan:
    member: Member
    ak_user_id: int | None
    email: str
    core: dict = field(default_factory=dict)
    user_fields: dict = field(default_factory=dict)
    former_data: dict | None = None  # Only for users that already exist in ActionKit.

    def payload(self) -> dict:
        return {"member_id": self.member.pk, "ak_user_id": self.ak_user_id, "email": self.email, "core": self.core,
                "user_fields": self.user_fields, "former_data": self.former_data}


def pushes_enqueue(*, connection, plans: list[PushPlan], event_type: str = EVENT_UPDATE, depends_on=None) -> int:
    """Write one outbox row per plan; each is queued for an immediate send when the caller's transaction commits."""
    for plan in plans:
        payload = plan.payload()
        key = f"strive:member:{plan.member.pk}:{values_hash(payload)[:32]}"
        delivery_enqueue(connection=connection, key=key, event_type=event_type, payload=payload, source_id=plan.member.pk,
                         depends_on=depends_on)
    return len(plans)


@transaction.atomic
def member_create_ak_user(*, member: Member, group=None) -> str:
    """Create Users: queue the ActionKit user for a member added to the primary group. Returns "" or the error."""
    connection = connection_for_entity(member.entity)
    if connection is None:
        return ""
    settings = sync_settings(connection)
    if not (settings.active and settings.create_users):
        return ""
    if MemberLink.objects.filter(connection=connection, member=member).exists():
        return ""
    error = _create_user_error(connection, member)
    Member.objects.filter(pk=member.pk).update(ak_sync_error=error)
    member.ak_sync_error = error
    if error:
        return error
    pushes_enqueue(connection=connection, plans=[_new_user_plan(connection, member, email=member.email)],
                   event_type=EVENT_CREATE)
    return ""


@transaction.atomic
def member_create_follow_up(*, connection, member: Member) -> bool:
    """An edit made while the member's ActionKit user is still being created: that create holds the values from
    before the edit, so queue them again, sent once the create succeeded (action processing finds the new user by
    the email it was created with). Returns True if queued; False when no create is waiting."""
    create = (Delivery.objects.filter(connection=connection, event_type=EVENT_CREATE, source_id=member.pk,
                                      status__in=Delivery.OPEN).order_by("-id").first())
    if create is None:
        return False
    plan = _new_user_plan(connection, member, email=create.payload.get("email") or member.email)
    pushes_enqueue(connection=connection, plans=[plan], depends_on=create)
    return True


def _new_user_plan(connection, member: Member, *, email: str) -> PushPlan:
    """Every mapped value the member has, for a user that has none of them yet."""
    core, user_fields = {"phone": member.phone}, {}
    for mapping in mappings_for(connection):
        value = member_value(member, mapping)
        if value and mapping.member_field != "email":
            (core if mapping.is_core else user_fields)[mapping.ak_field] = value
    status = {Member.OptIn.OPTED_IN: True, Member.OptIn.OPTED_OUT: False}.get(member.sms_opt_in)
    if status is not None:
        user_fields[sync_settings(connection).opt_in_field] = opt_in_format(status)
    return PushPlan(member=member, ak_user_id=None, email=email, core=core, user_fields=user_fields)


def _create_user_error(connection, member: Member) -> str:
    email = (member.email or "").strip()
    if not email:
        return "ActionKit needs a unique email to create a user; this member has no email."
    if ScannedUser.objects.filter(connection=connection, email__iexact=email).exists():
        return f"ActionKit already has a user with the email {email}; a new user needs an email no other user has."
    return ""


def payload_former_data_json(payload: dict) -> str | None:
    former = payload.get("former_data")
    return json.dumps(former, sort_keys=True) if former else None
