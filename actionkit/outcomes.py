"""The one place an ActionKit client error becomes an outbox Outcome, for every sender (see docs/architecture.md).

Halt: the connection itself is wrong (credentials refused, or a hostname that now points somewhere we must never
call), so no retry can help until someone reconnects. Retryable: ActionKit is busy or down. Permanent: ActionKit
refused this request, and sending it again cannot change that. An unknown failure is retried: it may pass.
"""

from actionkit import errors
from integrations.registry import Outcome

PERMISSION_RETRY_SECONDS = 3600.0  # Someone has to change ActionKit's permissions first; try again hourly.
DETAIL_CHARS = errors.EXCERPT_CHARS * 2  # Longest detail an attempt stores: the message plus the body excerpt.


def outcome_for(exc: errors.ActionKitError) -> Outcome:
    """Sort one client error into exactly one outcome class; the detail is written for an admin to read."""
    code = exc.status_code
    detail = f"{exc.message} {exc.body_excerpt}".strip()[:DETAIL_CHARS]
    if isinstance(exc, errors.UnsafeHostError):
        return Outcome(Outcome.HALT, detail=f"The ActionKit hostname is not allowed: {exc.message} Reconnect with a "
                                            "public hostname.")
    if isinstance(exc, errors.ActionKitForbidden):  # One resource refused: this send waits; the connection runs on.
        return Outcome(Outcome.RETRYABLE, status_code=code, detail=exc.message, retry_after=PERMISSION_RETRY_SECONDS)
    if isinstance(exc, errors.ActionKitUnauthorized):
        return Outcome(Outcome.HALT, status_code=code, detail=f"{exc.message} Reconnect with working staff credentials.")
    if isinstance(exc, errors.ActionKitRateLimited):
        return Outcome(Outcome.RETRYABLE, status_code=code, detail=detail, retry_after=exc.retry_after)
    if isinstance(exc, errors.ActionKitTransient):
        return Outcome(Outcome.RETRYABLE, status_code=code, detail=detail)
    if isinstance(exc, errors.ActionKitValidationError):
        fields = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.field_errors.items())
        return Outcome(Outcome.PERMANENT, status_code=code, detail=f"{exc.message} {fields}".strip())
    if isinstance(exc, errors.ActionKitRejected):  # 404, 409, redirects and other 4xx: retrying cannot help.
        return Outcome(Outcome.PERMANENT, status_code=code, detail=detail)
    return Outcome(Outcome.RETRYABLE, status_code=code, detail=detail)  # Oversized or unexpected: try again later.
