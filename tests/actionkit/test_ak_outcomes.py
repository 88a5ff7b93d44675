"""actionkit.outcomes.outcome_for: every client error lands in exactly one outcome class, for every sender."""

import pytest

from actionkit import errors
from actionkit.outcomes import outcome_for
from integrations.registry import Outcome

CASES = [
    (errors.UnsafeHostError("That hostname points at this server."), Outcome.HALT),
    (errors.ActionKitUnauthorized(status_code=401), Outcome.HALT),
    (errors.ActionKitForbidden(resource="action", status_code=401), Outcome.RETRYABLE),
    (errors.ActionKitRateLimited(status_code=429, retry_after=30), Outcome.RETRYABLE),
    (errors.ActionKitThrottled(), Outcome.RETRYABLE),
    (errors.ActionKitTransient(status_code=503), Outcome.RETRYABLE),
    (errors.ActionKitTimeout(), Outcome.RETRYABLE),
    (errors.ActionKitValidationError(status_code=400, field_errors={"email": ["Enter a valid email."]}),
     Outcome.PERMANENT),
    (errors.ActionKitNotFound(status_code=404), Outcome.PERMANENT),
    (errors.ActionKitConflict(status_code=409), Outcome.PERMANENT),
    (errors.ActionKitRedirect(status_code=302), Outcome.PERMANENT),
    (errors.ActionKitResponseTooLarge(), Outcome.RETRYABLE),
    (errors.ActionKitError(), Outcome.RETRYABLE),
]


@pytest.mark.parametrize("given, expected", CASES, ids=[type(exc).__name__ for exc, _ in CASES])
def test_it_sorts_each_error_into_one_class(given, expected):
    assert outcome_for(given).kind == expected


def test_it_keeps_the_status_code_the_wait_and_the_field_errors():
    assert outcome_for(errors.ActionKitRateLimited(status_code=429, retry_after=30)).retry_after == 30
    rejected = outcome_for(errors.ActionKitValidationError(status_code=400, field_errors={"email": ["Bad."]}))
    assert (rejected.status_code, rejected.detail) == (400, "ActionKit rejected the data. email: Bad.")


def test_it_tells_an_admin_how_to_recover_from_a_halt():
    assert "public hostname" in outcome_for(errors.UnsafeHostError()).detail
    assert "Reconnect" in outcome_for(errors.ActionKitUnauthorized(status_code=403)).detail


def test_a_missing_permission_on_one_resource_waits_and_names_the_permission_instead_of_halting():
    outcome = outcome_for(errors.ActionKitForbidden(resource="importpage", status_code=401))
    assert outcome.kind == Outcome.RETRYABLE and outcome.retry_after >= 3600
    assert "give the staff account permission to read importpage" in outcome.detail
