"""Reading and writing one field on each side, and the snapshot of an ActionKit user we keep."""

import hashlib
import json

from strive.models import Member
from strive.services.fields import Mapping

AK_CORE = ("email", "first_name", "last_name", "city", "state", "zip")
OPT_IN_KEY = "_opt_in"  # last_synced key for the opt-in status ("true", "false" or "").


def member_value(member: Member, mapping: Mapping) -> str:
    if mapping.is_core:
        return getattr(member, mapping.member_field) or ""
    return (member.custom_fields or {}).get(mapping.member_field, "") or ""


def member_set(member: Member, mapping: Mapping, value: str) -> None:
    if mapping.is_core:
        setattr(member, mapping.member_field, value)
    else:
        member.custom_fields = {**(member.custom_fields or {}), mapping.member_field: value}


def userfield_text(value) -> str:
    """One userfield as text. ActionKit sends a field with several values as a list; they read as "a, b", never
    as Python's "['a', 'b']", which two-way sync would then write back as one value."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(dict.fromkeys(userfield_text(item) for item in value if item not in (None, "")))
    return str(value)


def ak_value(snapshot: dict, mapping: Mapping) -> str:
    if mapping.is_core:
        return str(snapshot.get(mapping.ak_field) or "")
    return userfield_text((snapshot.get("fields") or {}).get(mapping.ak_field))


def user_snapshot(user: dict) -> dict:
    """The part of an ActionKit user the sync reads: core fields and userfields."""
    fields = user.get("fields") or {}
    return {**{name: str(user.get(name) or "") for name in AK_CORE},
            "fields": {str(k): userfield_text(v) for k, v in fields.items()}}


def opt_in_status(member: Member) -> bool | None:
    return {Member.OptIn.OPTED_IN: True, Member.OptIn.OPTED_OUT: False}.get(member.sms_opt_in)


def opt_in_choice(value: bool | None) -> str:
    return {True: Member.OptIn.OPTED_IN, False: Member.OptIn.OPTED_OUT}.get(value, Member.OptIn.UNKNOWN)


def values_hash(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def ak_side_hash(snapshot: dict, mappings: list[Mapping], opt_in_field: str) -> str:
    """What ActionKit holds for the synced fields; equal to the link's last_hash means nothing changed there."""
    values = {m.member_field: ak_value(snapshot, m) for m in mappings}
    values[OPT_IN_KEY] = (snapshot.get("fields") or {}).get(opt_in_field, "")
    return values_hash(values)
