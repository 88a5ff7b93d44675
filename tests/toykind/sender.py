"""The toy kind's `send`: records the key it was given, and fails the way a script tells it to."""

from actionkit import errors
from actionkit.outcomes import outcome_for
from integrations.registry import Outcome

SENT: list[str] = []
FAIL_NEXT: list[errors.ActionKitError] = []  # Raised, one per send, before anything counts as sent.


def toy_send(connection, delivery) -> Outcome:
    if FAIL_NEXT:
        return outcome_for(FAIL_NEXT.pop(0))
    SENT.append(delivery.key)
    return Outcome(Outcome.SUCCESS, status_code=200, remote_ref=f"toy:{delivery.source_id}")
