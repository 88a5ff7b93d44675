"""Members: create and update by phone (E.164, unique per entity), from forms, the API, CSV rows and ActionKit."""

from dataclasses import dataclass

from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, transaction

from integrations.services.audit import audit_record
from strive.models import Member
from strive.phones import phone_to_e164
from strive.services.sync import member_push_changes
from strive.zipstate import state_for_zip

EDITABLE_FIELDS = ("email", "first_name", "last_name", "city", "state", "zip", "sms_opt_in", "source")


class MemberInvalid(ValueError):
    """Bad member input; `errors` maps field -> message, shown next to the field or the CSV line."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class MemberInput:
    phone: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    sms_opt_in: str = Member.OptIn.UNKNOWN
    source: str = ""
    custom_fields: dict | None = None


NULL_CHARACTERS = ProhibitNullCharactersValidator.message  # The API's and forms' own words for it.


def null_character_errors(values: dict) -> dict[str, str]:
    """{field: reason} for each value holding a NUL byte: PostgreSQL cannot store one, and the API refuses it."""
    return {name: str(NULL_CHARACTERS) for name, value in values.items() if isinstance(value, str) and "\x00" in value}


def member_clean(data: MemberInput) -> dict:
    """Normalize one input to model values, or raise MemberInvalid with every problem found."""
    custom = data.custom_fields or {}
    errors = null_character_errors({name: getattr(data, name) for name in ("phone", *EDITABLE_FIELDS)})
    if isinstance(custom, dict) and any("\x00" in f"{k}{v}" for k, v in custom.items()):
        errors["custom_fields"] = str(NULL_CHARACTERS)
    if errors:
        raise MemberInvalid(errors)  # Before reading the phone: a NUL can hide in a number phonenumbers accepts.
    phone = phone_to_e164(data.phone)
    if not phone:
        errors["phone"] = f"'{data.phone}' is not a phone number we recognize."
    if data.sms_opt_in not in Member.OptIn.values:
        errors["sms_opt_in"] = f"Use one of: {', '.join(Member.OptIn.values)}."
    if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
        errors["custom_fields"] = "Custom fields are text only: an object of name -> text."
    if errors:
        raise MemberInvalid(errors)
    values = {name: (getattr(data, name) or "").strip() for name in EDITABLE_FIELDS}
    values["state"] = state_for_zip(values["zip"]) or values["state"]  # A zip sets the state on our side.
    return {**values, "phone": phone, "custom_fields": {k: v.strip() for k, v in custom.items()}}


@transaction.atomic
def member_upsert(*, entity, data: MemberInput, actor=None) -> tuple[Member, bool]:
    """Create the member, or update the one with this phone; the same person never becomes two members."""
    values = member_clean(data)
    member = Member.objects.select_for_update().filter(entity=entity, phone=values["phone"]).first()
    if member is None:
        try:
            with transaction.atomic():
                member = Member.objects.create(entity=entity, **values)
        except IntegrityError:  # Created concurrently by another import: update that one instead.
            member = Member.objects.select_for_update().get(entity=entity, phone=values["phone"])
        else:
            audit_record(entity=entity, actor=actor, action="member.created", target=member.phone)
            return member, True
    changes = member_changes(member=member, values=values)
    if changes:
        member_update(member=member, changes=changes, actor=actor)
    return member, False


def member_changes(*, member: Member, values: dict) -> dict:
    """What member_upsert would change on `member` for these cleaned values (member_clean); {} when nothing."""
    # An empty value or an unknown opt-in in the input says nothing new, so it never overwrites what we have.
    return {k: v for k, v in values.items()
            if k != "phone" and v and v != Member.OptIn.UNKNOWN and getattr(member, k) != v}


@transaction.atomic
def member_update(*, member: Member, changes: dict, actor=None) -> Member:
    """Apply field changes (never the phone) and push them to ActionKit when the member is synced."""
    changes = {k: v for k, v in changes.items() if k != "phone"}
    if "zip" in changes:
        changes["state"] = state_for_zip(changes["zip"]) or changes.get("state", member.state)
    before = {k: getattr(member, k) for k in changes}
    for key, value in changes.items():
        setattr(member, key, value)
    member.save()
    diff = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if diff:
        audit_record(entity=member.entity, actor=actor, action="member.updated", target=member.phone, changes=diff)
        member_push_changes(member=member)
    return member
