"""The words and numbers of the initial sync's progress card; strive.selectors.sync_progress gathers the counts.

The initial sync has two steps, in this order: it reads ActionKit's phone numbers (members are matched by phone),
then its users, syncing each. The card names the step, and its text and bar measure the same count: phone numbers'
users read of the user total (an estimate: a user may have no phone), then users read of the user total.
Pure functions: no ORM, HTTP or clock.
"""

from dataclasses import dataclass, field

from integrations.progress_words import count_of, eta_seconds, eta_words, percent_of

PENDING = "pending"  # ScannedUser.Status.PENDING: read in the phone step, not synced yet.


@dataclass
class SyncCounts:
    total: int  # ActionKit's user count when Sync Accounts was turned on (0 when it did not say).
    by_status: dict[str, int] = field(default_factory=dict)  # ScannedUser rows per status.
    started: bool = False  # Sync Accounts was turned on at least once.
    done: bool = False  # The first full pass over the users finished.
    paused: str = ""  # Why nothing is read now ("Sync Accounts is off"), or "" while the sync may run.
    reading_users: bool = False  # The users step has begun.
    elapsed: float = 0.0  # Seconds since the initial sync started.

    @property
    def processed(self) -> int:
        return sum(n for status, n in self.by_status.items() if status != PENDING)

    @property
    def seen(self) -> int:
        return sum(self.by_status.values())


def sync_progress_words(counts: SyncCounts, *, per_minute: int) -> dict:
    """The JSON the progress card shows (static/js/app.js fills `data-field` elements from it)."""
    processed, total = counts.processed, max(counts.total, counts.processed)
    synced, skipped, errors = (counts.by_status.get(s, 0) for s in ("synced", "skipped", "error"))
    result = {"processed": processed, "synced": synced, "sent": synced, "skipped": skipped, "errors": errors,
              "total": total, "done": counts.done, "step": 0, "eta_seconds": None, "eta_text": "",
              "detail": f"{synced:,} synced · {skipped:,} skipped · {errors:,} errors"}
    if counts.done:
        return {**result, "status_label": "Initial sync finished", "percent": 100,
                "headline": f"Initial sync finished: {count_of(processed, total)} ActionKit users read."}
    if not counts.started:
        return {**result, "status_label": "Not started", "percent": 0, "detail": "",
                "headline": "The initial sync starts when Sync Accounts is turned on in Settings."}
    in_users = counts.reading_users or processed > 0
    step = _users_step(counts, total) if in_users else _phones_step(counts, total)
    result.update(step)
    if counts.paused:
        result.update(status_label="Paused", headline=f"{result['headline'].rstrip('…')}. Paused: {counts.paused}.")
        return result
    # Left: the rest of the current step, plus the whole users step while phones are still read.
    remaining = (total - processed) if in_users else max(0, total - counts.seen) + total
    seconds = eta_seconds(remaining=remaining, per_minute=per_minute, done=counts.seen + processed,
                          elapsed=counts.elapsed)
    result.update(eta_seconds=seconds, eta_text=eta_words(seconds) if total else "")
    return result


def _phones_step(counts: SyncCounts, total: int) -> dict:
    seen = counts.seen
    if not seen:
        return {"step": 1, "status_label": "Starting", "percent": 0, "detail": "",
                "headline": "Step 1 of 2 · Asking ActionKit for its phone numbers…"}
    return {"step": 1, "status_label": "Reading phone numbers", "percent": percent_of(seen, total, cap=99),
            "detail": "Members are matched to ActionKit users by phone number, so these come first.",
            "headline": f"Step 1 of 2 · Reading phone numbers from ActionKit: {count_of(seen, total, approximate=True)}"
                        " users"}


def _users_step(counts: SyncCounts, total: int) -> dict:
    return {"step": 2, "status_label": "Reading users", "percent": percent_of(counts.processed, total),
            "headline": f"Step 2 of 2 · Reading users from ActionKit: {count_of(counts.processed, total)}"}
