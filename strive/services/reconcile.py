"""One user against one member: apply the field rules and the opt-in rules, and plan the push back to ActionKit."""

from dataclasses import dataclass

from strive.services.pushes import PushPlan
from strive.services.values import (
    OPT_IN_KEY,
    ak_side_hash,
    ak_value,
    member_set,
    member_value,
    opt_in_choice,
    opt_in_status,
    values_hash,
)
from strive.syncrules import Resolution, Side, field_resolve, opt_in_format, opt_in_resolve
from strive.zipstate import state_for_zip


@dataclass
class Plan:
    agreed: dict  # {"strive": {...}, "ak": {...}}: each side's values once the push lands.
    ak_hash: str
    member_changed: bool
    push: PushPlan | None


def reconcile(*, batch, member, link, snapshot: dict, ak_updated_at, first_sync: bool, strive_changed: bool = False,
              ak_user_id: int | None = None) -> Plan:
    mappings, opt_field = batch.mappings, batch.settings.opt_in_field
    current_hash = ak_side_hash(snapshot, mappings, opt_field)
    if link is not None and not first_sync and not strive_changed and link.last_hash == current_hash:
        # ActionKit holds what we last agreed on, so there is nothing new to read: our own writes end here.
        return Plan(link.last_synced, link.last_hash, False, None)
    last = link.last_synced if link is not None and not first_sync else {}
    last_ours, last_theirs = last.get("strive", {}), last.get("ak", {})
    member_newer = bool(member.pk and ak_updated_at and member.updated_at and member.updated_at > ak_updated_at)
    ours_after, theirs_after, core, user_fields, former = {}, {}, {}, {}, {}
    changed = False
    for mapping in mappings:
        ours, theirs = member_value(member, mapping), ak_value(snapshot, mapping)
        side = _changed_side(ours != last_ours.get(mapping.member_field, ours) or strive_changed,
                             theirs != last_theirs.get(mapping.member_field, theirs), member_newer, first_sync)
        result = field_resolve(mapping.option, strive=ours, ak=theirs, changed=side)
        if mapping.member_field == "email":
            result = Resolution(result.strive, theirs)  # Email is ActionKit's key: never changed there.
        if result.strive != ours:
            member_set(member, mapping, result.strive)
            changed = True
            if mapping.member_field == "zip" and state_for_zip(result.strive):
                member.state = state_for_zip(result.strive)  # A zip sets the state on our side.
        if result.ak != theirs:
            (core if mapping.is_core else user_fields)[mapping.ak_field] = result.ak
            former[mapping.ak_field] = theirs
        ours_after[mapping.member_field], theirs_after[mapping.member_field] = member_value(member, mapping), result.ak
    raw = snapshot["fields"].get(opt_field, "")
    opt = opt_in_resolve(member=opt_in_status(member), ak_raw=raw, last=last_ours.get(OPT_IN_KEY, ""), first_sync=first_sync)
    if opt_in_choice(opt.member) != member.sms_opt_in:
        member.sms_opt_in, changed = opt_in_choice(opt.member), True
    if opt.write_ak is not None and opt.write_ak != raw:
        user_fields[opt_field], former[opt_field] = opt.write_ak, raw
    ours_after[OPT_IN_KEY] = opt_in_format(opt.member) if opt.member is not None else ""
    theirs_after[OPT_IN_KEY] = user_fields.get(opt_field, raw)
    push = None
    if core or user_fields:
        # The user's email is ActionKit's key for action processing. A user we created has no scanned snapshot until
        # the next poll sees it, so its link's email stands in; an empty one would be refused ("Enter a valid email").
        email = snapshot.get("email") or (link.ak_email if link else "")
        push = PushPlan(member=member, ak_user_id=link.ak_user_id if link else ak_user_id, email=email,
                        core=core, user_fields=user_fields, former_data=former)
    return Plan({"strive": ours_after, "ak": theirs_after}, values_hash(theirs_after), changed, push)


def _changed_side(ours_changed: bool, theirs_changed: bool, member_newer: bool, first_sync: bool) -> Side:
    if not first_sync and ours_changed != theirs_changed:
        return Side.STRIVE if ours_changed else Side.AK
    return Side.STRIVE if member_newer else Side.AK
