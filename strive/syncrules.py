"""The article's sync rules as pure functions: sync options, opt-in parsing and eligibility. No ORM, HTTP or clock."""

from dataclasses import dataclass
from enum import StrEnum


class SyncOption(StrEnum):
    ONE_WAY_OVERWRITE_AK = "one_way_overwrite_ak"
    ONE_WAY_OVERWRITE_STRIVE = "one_way_overwrite_strive"
    POPULATE_NO_OVERWRITE = "populate_no_overwrite"
    POPULATE_OVERWRITE_AK = "populate_overwrite_ak"
    POPULATE_OVERWRITE_STRIVE = "populate_overwrite_strive"
    TWO_WAY = "two_way"


SYNC_OPTION_LABELS = {
    SyncOption.ONE_WAY_OVERWRITE_AK: "One-way, overwrite ActionKit",
    SyncOption.ONE_WAY_OVERWRITE_STRIVE: "One-way, overwrite members",
    SyncOption.POPULATE_NO_OVERWRITE: "Populate, no overwrite",
    SyncOption.POPULATE_OVERWRITE_AK: "Populate, overwrite ActionKit",
    SyncOption.POPULATE_OVERWRITE_STRIVE: "Populate, overwrite members",
    SyncOption.TWO_WAY: "Two-way, overwrite both",
}
SYNC_OPTION_HELP = {
    SyncOption.ONE_WAY_OVERWRITE_AK: "Your members overwrite ActionKit. ActionKit never changes your members.",
    SyncOption.ONE_WAY_OVERWRITE_STRIVE: "ActionKit overwrites your members. Your members never change ActionKit.",
    SyncOption.POPULATE_NO_OVERWRITE: "Each side fills the other's empty fields. Neither overwrites.",
    SyncOption.POPULATE_OVERWRITE_AK: "ActionKit fills your members' empty fields. Your members overwrite ActionKit.",
    SyncOption.POPULATE_OVERWRITE_STRIVE: "Your members fill ActionKit's empty fields. ActionKit overwrites your members.",
    SyncOption.TWO_WAY: "Sync data both ways; the side updated last overwrites the other.",
}
DEFAULT_OPTION = SyncOption.POPULATE_NO_OVERWRITE
# Email is ActionKit's unique key and we never change it there, so only these two make sense for it.
EMAIL_OPTIONS = (SyncOption.POPULATE_NO_OVERWRITE, SyncOption.ONE_WAY_OVERWRITE_STRIVE)


class Side(StrEnum):
    STRIVE = "strive"
    AK = "ak"


@dataclass(frozen=True)
class Resolution:
    strive: str  # The value Strive should hold afterwards.
    ak: str  # The value ActionKit should hold afterwards.


def _clean(value) -> str:
    return "" if value is None else str(value).strip()


def field_resolve(option: SyncOption | str, *, strive, ak, changed: Side) -> Resolution:
    """Decide both sides' values for one field. An empty value never overwrites a filled one.

    `changed` is the side that changed since the last sync (or the newer side on a first sync); only the
    two-way option depends on it, every other option is decided by the values alone.
    """
    ours, theirs = _clean(strive), _clean(ak)
    option = SyncOption(option)
    if ours == theirs:
        return Resolution(ours, theirs)
    if option == SyncOption.ONE_WAY_OVERWRITE_AK:
        return Resolution(ours, ours or theirs)
    if option == SyncOption.ONE_WAY_OVERWRITE_STRIVE:
        return Resolution(theirs or ours, theirs)
    if not ours or not theirs:  # Every populate option and two-way fill an empty side.
        filled = ours or theirs
        return Resolution(filled, filled)
    if option == SyncOption.POPULATE_NO_OVERWRITE:
        return Resolution(ours, theirs)
    if option == SyncOption.POPULATE_OVERWRITE_AK:
        return Resolution(ours, ours)
    if option == SyncOption.POPULATE_OVERWRITE_STRIVE:
        return Resolution(theirs, theirs)
    winner = ours if changed == Side.STRIVE else theirs  # Two-way: the latest change wins.
    return Resolution(winner, winner)


TRUE_VALUES = frozenset({"t", "true", "1", "opt in", "opt-in", "y", "yes"})
FALSE_VALUES = frozenset({"f", "false", "0", "opt out", "opt-out", "n", "no"})


def opt_in_parse(value) -> bool | None:
    """True, False, or None when the value is neither recognizably true nor false (it never overwrites a status)."""
    text = " ".join(_clean(value).lower().split())
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    return None


def opt_in_format(value: bool) -> str:
    """Pushes to ActionKit always write `true` or `false`."""
    return "true" if value else "false"


def ineligible_reason(*, phone: str | None, opt_in_raw) -> str:
    """Empty when the user may sync: it needs a phone number and a saved opt-in value."""
    if not phone:
        return "No valid phone number in the preferred phone types."
    if not _clean(opt_in_raw):
        return "No opt-in value in the opt-in userfield."
    return ""


@dataclass(frozen=True)
class OptInResolution:
    member: bool | None  # The member's status afterwards (None: unknown).
    write_ak: str | None  # "true"/"false" to write to the ActionKit userfield, or None to leave it.


def opt_in_resolve(*, member: bool | None, ak_raw, last: str, first_sync: bool) -> OptInResolution:
    """The opt-in rules: on a first sync the member's known value wins and is written back; later, a recognized
    change in ActionKit updates the member, and a member change is pushed. Unrecognized values never overwrite."""
    ak = opt_in_parse(ak_raw)
    if first_sync:
        if member is not None and member != ak:
            return OptInResolution(member, opt_in_format(member))
        return OptInResolution(member if member is not None else ak, None)
    if ak is not None and opt_in_format(ak) != last:
        return OptInResolution(ak, None)  # ActionKit changed it since we last agreed.
    if member is not None and opt_in_format(member) != last and member != ak:
        return OptInResolution(member, opt_in_format(member))  # Ours changed and was not pushed yet.
    return OptInResolution(member, None)
