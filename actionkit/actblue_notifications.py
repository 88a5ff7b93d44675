"""ActBlue's notification format as ActionKit's ActBlue webhook reads it.

Both sides of that webhook import this: the actblue app, whose API accepts the same bodies, and the sandbox that
stands in for ActionKit. So it stays pure: no Django and no other project module.
"""


def notification_kind(body: dict) -> str:
    """ActionKit uses one URL for all three kinds and ActBlue sends no event type, so the body decides."""
    contribution = body.get("contribution") or {}
    if contribution.get("cancelledAt"):
        return "cancellation"
    if contribution.get("refundedAt") or any(item.get("refundedAt") for item in body.get("lineitems") or []):
        return "refund"
    return "contribution"
