"""The progress cards' words and time left: each step says what it does, the bar and the text count the same thing,
and the estimate follows the ActionKit budget without swinging."""

import pytest

from integrations.progress_words import count_of, eta_seconds, eta_words, percent_of
from strive.progress import SyncCounts, sync_progress_words

ETA_WORDS = [(None, ""), (0, ""), (45, "Less than a minute left"), (60, "About 1 minute left"),
             (61, "About 2 minutes left"), (3600, "About 1 h left"), (4500, "About 1 h 15 min left")]


@pytest.mark.parametrize("seconds, expected", ETA_WORDS, ids=[str(s) for s, _ in ETA_WORDS])
def test_it_words_the_time_left(seconds, expected):
    assert eta_words(seconds) == expected


def test_it_counts_with_separators_and_marks_estimates():
    assert count_of(1200, 2323) == "1,200 of 2,323"
    assert count_of(1200, 2323, approximate=True) == "1,200 of ~2,323"
    assert count_of(1200, 0) == "1,200 so far"
    assert percent_of(2400, 2323, cap=99) == 99 and percent_of(5, 0) == 0


def test_the_estimate_starts_from_the_budget():
    assert eta_seconds(remaining=4646, per_minute=980) == 285  # Nothing done yet: remaining ÷ budget.
    assert eta_seconds(remaining=0, per_minute=980) == 0
    assert eta_seconds(remaining=10, per_minute=0) is None  # No limit and no pace yet: unknown, not "0 s".


def test_the_estimate_never_assumes_faster_than_the_budget():
    burst = eta_seconds(remaining=1000, per_minute=600, done=500, elapsed=5)  # 6,000 a minute for five seconds.
    assert burst == 100  # Still 600 a minute.


def test_the_estimate_of_a_six_minute_sync_does_not_swing():
    """4,646 records (phones, then users) at 980 a minute, really kept at 800 a minute: sampled every 30 s."""
    total, kept = 4646, 800 / 60
    estimates = []
    for elapsed in range(30, 330, 30):
        done = int(kept * elapsed)
        estimates.append(eta_seconds(remaining=total - done, per_minute=980, done=done, elapsed=elapsed))
    assert all(later < earlier for earlier, later in zip(estimates, estimates[1:], strict=False))  # Only ever goes down...
    finish = total / kept
    for elapsed, estimate in zip(range(30, 330, 30), estimates, strict=True):
        assert abs(elapsed + estimate - finish) < 60  # ...and always lands within a minute of the real end.


def _words(**counts):
    return sync_progress_words(SyncCounts(**{"total": 2323, "started": True, "elapsed": 60.0, **counts}),
                               per_minute=980)


def test_before_anything_is_read_it_says_it_is_asking():
    progress = _words(elapsed=1.0)
    assert progress["headline"] == "Step 1 of 2 · Asking ActionKit for its phone numbers…"
    assert progress["percent"] == 0 and progress["eta_text"] == "About 5 minutes left"


def test_the_phone_step_counts_users_read_of_the_estimated_total():
    progress = _words(by_status={"pending": 1200})
    assert progress["headline"] == "Step 1 of 2 · Reading phone numbers from ActionKit: 1,200 of ~2,323 users"
    assert progress["percent"] == 51  # The bar measures the same count as the text.
    assert progress["status_label"] == "Reading phone numbers" and "synced" not in progress["detail"]
    assert progress["eta_text"].startswith("About ")


def test_the_users_step_counts_users_read_and_the_bar_follows():
    progress = _words(by_status={"pending": 300, "synced": 600, "skipped": 190, "error": 10}, reading_users=True)
    assert progress["headline"] == "Step 2 of 2 · Reading users from ActionKit: 800 of 2,323"
    assert progress["percent"] == 34 and progress["detail"] == "600 synced · 190 skipped · 10 errors"


def test_a_finished_sync_shows_no_time_left():
    progress = _words(done=True, by_status={"synced": 2000, "skipped": 323})
    assert progress["headline"] == "Initial sync finished: 2,323 of 2,323 ActionKit users read."
    assert (progress["percent"], progress["eta_text"], progress["status_label"]) == (100, "", "Initial sync finished")


def test_a_sync_turned_off_midway_says_paused_without_an_estimate():
    progress = _words(paused="Sync Accounts is off", by_status={"synced": 500}, reading_users=True)
    assert progress["status_label"] == "Paused" and progress["eta_text"] == ""
    assert progress["headline"].endswith("500 of 2,323. Paused: Sync Accounts is off.")


def test_a_sync_never_started_asks_for_sync_accounts():
    progress = sync_progress_words(SyncCounts(total=0), per_minute=980)
    assert progress["status_label"] == "Not started" and "Sync Accounts" in progress["headline"]
    assert progress["eta_text"] == "" and progress["detail"] == ""
