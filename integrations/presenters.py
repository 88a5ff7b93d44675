"""Plain sentences for what ActionKit answered, shown on both integrations' pages.

The stored text stays as it was (support reads it behind a disclosure); these functions only word it for people.
Pure functions: no ORM queries, HTTP or clock.
"""

import json
import re

from actionkit.errors import parse_field_errors

_URI_RE = re.compile(r"/rest/v1/(?P<kind>[a-z]+)/(?P<id>\d+)/?")
_JSON_TAIL_RE = re.compile(r"[\[{]")
_TAG_RE = re.compile(r"<[^>]+>")
# The client's generic openings (actionkit/errors.py); after "ActionKit refused it:" only the specifics are news.
_GENERIC_REFUSALS = ("ActionKit rejected the data.", "ActionKit rejected the request.")


def _json_messages(text: str) -> list[str] | None:
    """The messages of a JSON error body, or None when ``text`` is not JSON."""
    try:
        body = json.loads(text)
    except (TypeError, ValueError):
        return None
    if isinstance(body, dict):
        # {"error": "..."} and {"detail": "..."} carry one message; everything else is field errors.
        for key in ("error", "message", "detail"):
            if isinstance(body.get(key), str):
                return [body[key]]
    messages = []
    for field, texts in parse_field_errors(body).items():
        joined = " ".join(str(t) for t in texts)
        messages.append(joined if field == "__all__" else f"{field}: {joined}")
    return messages


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def plain_reason(text: str | None) -> str:
    """A stored reason or response excerpt as a sentence: JSON bodies become their messages, HTML is dropped.

    ``{"error":"Sorry, this request…"}`` -> ``Sorry, this request…``; ``Rejected. {"email": ["Bad."]}`` ->
    ``Rejected. email: Bad.``
    """
    text = (text or "").strip()
    if not text:
        return ""
    whole = _json_messages(text)
    if whole is not None:
        return " ".join(_sentence(m) for m in whole)
    match = _JSON_TAIL_RE.search(text)
    if match:
        head, tail = text[: match.start()].strip(), text[match.start():]
        messages = _json_messages(tail)
        if messages is not None:
            return " ".join(_sentence(m) for m in [head, *messages] if m.strip())
    if "<" in text and ">" in text:  # An HTML error page: keep only the words before it.
        text = text.split("<", 1)[0].strip() or "ActionKit answered with an error page."
    return _sentence(_TAG_RE.sub("", text))


def _recorded_as(detail: str, remote_ref: str) -> str:
    """`` (order 42)`` from the response body's first URI, else from the stored remote reference."""
    for source in (detail, remote_ref):
        matches = list(_URI_RE.finditer(source or ""))
        # The order is what a person looks up in ActionKit; the donor's user URI comes first in the body.
        match = next((m for m in matches if m["kind"] == "order"), matches[0] if matches else None)
        if match:
            return f" ({match['kind']} {match['id']})"
    if remote_ref and remote_ref.isdigit():
        return f" (action {remote_ref})"
    return ""


def response_sentence(delivery) -> str:
    """What happened to one delivery, in one or two sentences, from its status and latest attempt.

    Reads ``delivery.latest_attempt`` when a selector attached it, else ``delivery.last_error``.
    """
    attempt = getattr(delivery, "latest_attempt", None)
    detail = (attempt.detail if attempt else "") or delivery.last_error or ""
    status = delivery.status
    if status == "succeeded":
        duplicate = '"duplicate": true' in detail
        verb = "already had it" if duplicate else "recorded it"
        return f"ActionKit {verb}{_recorded_as(detail, delivery.remote_ref)}."
    if status == "dead":
        reason = plain_reason(detail) or "no reason given."
        for generic in _GENERIC_REFUSALS:
            if reason.startswith(generic) and reason != generic:
                reason = reason[len(generic):].strip()
        return f"ActionKit refused it: {reason}"
    if status == "failed":
        when = delivery.next_attempt_at.strftime("%H:%M") if delivery.next_attempt_at else ""
        reason = plain_reason(detail) or "ActionKit did not answer."
        return f"{reason} Trying again at {when} UTC." if when else reason
    if status == "cancelled":
        return "Cancelled; it will not be sent."
    # Pending or sending again (a resend, a retry, a halted connection): what ActionKit said belongs to the try before.
    previous = _previous_try(attempt, detail, delivery.remote_ref)
    if status == "sending":
        return f"Sending again now. Previous try: {previous}" if previous else "Sending now."
    return f"Waiting to be sent again. Previous try: {previous}" if previous else "Waiting to be sent."


def _previous_try(attempt, detail: str, remote_ref: str) -> str:
    """The last finished try of a row that is queued again, in words; empty when it was never tried."""
    if not detail and attempt is None:
        return ""
    if getattr(attempt, "outcome", "") == "success":
        return f"ActionKit recorded it{_recorded_as(detail, remote_ref)}."
    return plain_reason(detail)
