"""Time left and counts for progress cards (the members' initial sync, the contributions' backfill).

ActionKit's records-per-minute budget is what paces both, so the estimate starts from it: remaining ÷ budget. Once the
run has gone on for a while, the rate it really kept (never above the budget) takes over gradually, so a slow start
neither promises too much nor makes the estimate jump (27 min, 14, then 4 for a six-minute sync).
Pure functions: no ORM, HTTP or clock; callers pass counts and elapsed seconds.
"""

import math

SETTLE_SECONDS = 30  # After this long, the pace kept so far (a run-long average) alone sets the estimate.


def eta_seconds(*, remaining: int, per_minute: int, done: int = 0, elapsed: float = 0.0) -> int | None:
    """Seconds left for `remaining` records at `per_minute` (0: no limit), corrected by the pace kept so far.

    None when nothing tells the pace yet (no budget and nothing done).
    """
    if remaining <= 0:
        return 0
    budget = per_minute / 60 if per_minute else 0.0
    observed = done / elapsed if done and elapsed > 0 else 0.0
    if budget and observed:
        observed = min(observed, budget)  # The throttle never lets it run faster; a burst at the start is not a pace.
        weight = min(1.0, elapsed / SETTLE_SECONDS)
        rate = weight * observed + (1 - weight) * budget
    else:
        rate = budget or observed
    return math.ceil(remaining / rate) if rate else None


def eta_words(seconds: int | None) -> str:
    """``About 4 minutes left``; ``Less than a minute left``; empty when unknown or finished."""
    if seconds is None or seconds <= 0:
        return ""
    if seconds < 60:
        return "Less than a minute left"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"About {minutes} minute{'s' if minutes != 1 else ''} left"
    hours, minutes = divmod(minutes, 60)
    return f"About {hours} h {minutes} min left" if minutes else f"About {hours} h left"


def count_of(count: int, total: int | None, *, approximate: bool = False) -> str:
    """``1,200 of 2,323``; ``1,200 of ~2,323`` when the total is an estimate; ``1,200 so far`` when it is unknown."""
    if not total:
        return f"{count:,} so far"
    return f"{count:,} of {'~' if approximate else ''}{total:,}"


def percent_of(count: int, total: int | None, *, cap: int = 100) -> int:
    """Whole percent of `total`, at most `cap` (an estimated total must not show 100% before the end)."""
    return min(cap, int(count * 100 / total)) if total else 0
