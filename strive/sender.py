"""The kind's `send`: one member push to ActionKit by action processing on the integration's import page.

Errors become outcomes in actionkit.outcomes.outcome_for, as for every sender; this module only adds where a
refusal is shown (the member, or the Users tab).
"""

import json

from actionkit import errors
from actionkit.factory import client_for
from actionkit.outcomes import outcome_for
from integrations.registry import Outcome
from strive.models import Member, MemberLink, ScannedUser
from strive.services.config import IMPORT_PAGE_TITLE, sync_settings


def member_send(connection, delivery) -> Outcome:
    payload = delivery.payload
    settings = sync_settings(connection)
    if not settings.active:
        return Outcome(Outcome.RETRYABLE, detail="Sync Accounts is off; the push waits until it is on again.")
    client = client_for(connection)  # The thread's cached client: kept open, so pushes reuse the HTTP connection.
    try:
        if delivery.event_type == "member.create":
            existing = client.user_by_email(payload["email"].strip().lower())  # AK matches emails case-blind.
            if existing is not None:
                return _create_refused(payload, f"ActionKit already has a user with the email {payload['email']}.")
        email = _email_for(client, payload)
        if not email:  # Never send a body ActionKit refuses: action processing finds the user by email.
            return _no_email(payload)
        action_fields = {"strive_member": str(payload["member_id"])}
        if payload.get("former_data") and payload.get("ak_user_id"):
            action_fields["former_data"] = json.dumps(payload["former_data"], sort_keys=True)
        result = client.action_process(page=settings.import_page, email=email, core=payload.get("core"),
                                       user_fields=payload.get("user_fields"), action_fields=action_fields,
                                       source="strive")
    except errors.ActionKitValidationError as exc:
        if "unable to find a page" not in str(exc.body_excerpt).lower():
            return _outcome_noted(exc, payload)
        # Someone deleted the import page in ActionKit: make it again and let the outbox retry.
        client.import_page_ensure(name=settings.import_page, title=IMPORT_PAGE_TITLE)
        return Outcome(Outcome.RETRYABLE, status_code=exc.status_code, detail="Re-created the import page; retrying.")
    except errors.ActionKitError as exc:  # Anything else is a bug: it propagates and the hub records it.
        return _outcome_noted(exc, payload)
    if delivery.event_type == "member.create":
        _link_created_user(connection, payload, result)
    return Outcome(Outcome.SUCCESS, status_code=201, remote_ref=str(result.get("action_id") or ""))


def _email_for(client, payload: dict) -> str:
    """The email to send: the queued one, else (rows queued before a user we created was scanned held none) the
    user's own, read by id. ActionKit needs an email only to create a user, but action processing finds one by it."""
    email = (payload.get("email") or "").strip()
    if email or not payload.get("ak_user_id"):
        return email
    return str(client.user_get(int(payload["ak_user_id"])).get("email") or "").strip()


def _no_email(payload: dict) -> Outcome:
    message = f"ActionKit user {payload.get('ak_user_id')} has no email, so the change cannot be sent to it."
    _refusal_noted(payload, message)
    return Outcome(Outcome.PERMANENT, detail=message)


def _outcome_noted(exc: errors.ActionKitError, payload: dict) -> Outcome:
    """The shared outcome for this error; a refusal is also noted where a person looks for it."""
    if isinstance(exc, errors.ActionKitRejected):
        _refusal_noted(payload, exc.message)
    return outcome_for(exc)


def _refusal_noted(payload: dict, message: str) -> None:
    if payload.get("ak_user_id") is None:  # A create, or an edit that follows one (both are about the new user).
        _member_error(payload, f"ActionKit refused to create the user: {message}")
    else:  # Shown on the Users tab until the next successful sync of this user (the member page reads the row).
        ScannedUser.objects.filter(member_id=payload["member_id"], ak_user_id=payload["ak_user_id"]).update(
            status=ScannedUser.Status.ERROR, reason=f"ActionKit refused our update: {message}"[:300])


def _create_refused(payload: dict, message: str) -> Outcome:
    _member_error(payload, message + " A new user needs an email no other user has.")
    return Outcome(Outcome.PERMANENT, status_code=409, detail=message)


def _member_error(payload: dict, message: str) -> None:
    Member.objects.filter(pk=payload["member_id"]).update(ak_sync_error=message[:300])


def _link_created_user(connection, payload: dict, result: dict) -> None:
    user_id = result.get("user_id")
    Member.objects.filter(pk=payload["member_id"]).update(ak_sync_error="")
    if user_id and not MemberLink.objects.filter(connection=connection, member_id=payload["member_id"]).exists():
        MemberLink.objects.get_or_create(connection=connection, ak_user_id=int(user_id), defaults={
            "member_id": payload["member_id"], "ak_email": payload["email"]})
