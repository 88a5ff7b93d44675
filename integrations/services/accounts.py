"""Accounts: signing up an organization, invitations by email, leaving and removing members, requiring TOTP.

Nobody joins an entity by being named: an admin invites an email address, and the person who opens the emailed
link (a random token; only its SHA-256 hash is stored) accepts with an account of that address. Refusals a person can
act on raise AccountError with the message to show. Every change is audited.
"""

import logging
import secrets
from functools import partial

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from integrations.models import Entity, Invitation, Membership
from integrations.services.audit import audit_record, revocation_record

logger = logging.getLogger(__name__)


class AccountError(Exception):
    """A refusal with a message for the person who asked."""


@transaction.atomic
def organization_sign_up(*, user, organization_name: str) -> Entity:
    """Create the organization a new account signed up for, with that account as its only admin."""
    name = organization_name.strip()
    entity = Entity.objects.create(name=name, slug=_unique_slug(name))
    Membership.objects.create(user=user, entity=entity, role=Membership.Role.ADMIN)
    audit_record(entity=entity, actor=user, action="entity.signed_up", target=user.get_username())
    return entity


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "organization"
    slug, n = base, 2
    while Entity.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def invitation_send(*, entity: Entity, email: str, role: str, can_manage_integrations: bool, actor,
                    site_url: str) -> Invitation:
    """Invite an address, or re-invite it: a pending invitation gets the new role, a new token and a new expiry.

    Mails the link after commit. Says nothing about accounts outside the entity: the same happens whether or not
    the address already has one. Raises AccountError when the address already belongs to a member of the entity.
    """
    email = email.strip().lower()
    if _member_with_email(entity=entity, email=email):
        raise AccountError(f"{email} already belongs to a member of {entity.name}.")
    token, now = secrets.token_urlsafe(32), timezone.now()
    fields = {"role": role, "can_manage_integrations": can_manage_integrations, "token_hash": Invitation.hash_token(token),
              "invited_by": actor, "sent_at": now, "expires_at": now + settings.INVITATION_EXPIRY}
    invitation = Invitation.objects.select_for_update().filter(
        entity=entity, email=email, accepted_at__isnull=True, revoked_at__isnull=True).first()
    if invitation is None:
        invitation = Invitation.objects.create(entity=entity, email=email, **fields)
    else:
        for key, value in fields.items():
            setattr(invitation, key, value)
        invitation.save(update_fields=list(fields))
    audit_record(entity=entity, actor=actor, action="invitation.sent", target=email,
                 changes={"role": role, "integrations_permission": can_manage_integrations})
    url = site_url.rstrip("/") + reverse("invitation-accept", kwargs={"token": token})
    transaction.on_commit(partial(_invitation_mail, invitation_id=invitation.pk, url=url))
    return invitation


def invitation_resend(*, invitation: Invitation, actor, site_url: str) -> Invitation:
    return invitation_send(entity=invitation.entity, email=invitation.email, role=invitation.role,
                           can_manage_integrations=invitation.can_manage_integrations, actor=actor, site_url=site_url)


def _member_with_email(*, entity: Entity, email: str) -> bool:
    members = Membership.objects.filter(entity=entity)
    return (members.filter(user__email__iexact=email).exists()
            or EmailAddress.objects.filter(user__memberships__entity=entity, email__iexact=email).exists())


def _invitation_mail(*, invitation_id: int, url: str) -> None:
    invitation = Invitation.objects.select_related("entity", "invited_by").get(pk=invitation_id)
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "An admin"
    body = (f"{inviter} invited you to join {invitation.entity.name} on AKbridge as "
            f"{invitation.get_role_display()}.\n\nOpen this link to accept; you can create an account or log in:\n\n"
            f"{url}\n\nThe link works until {invitation.expires_at:%Y-%m-%d %H:%M} UTC. If you did not expect this, "
            "ignore this email.\n")
    try:
        send_mail(f"[AKbridge] Join {invitation.entity.name}", body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except Exception:  # The admin can press Resend; the invitation itself is saved.
        logger.exception("invitation.mail_failed", extra={"invitation_id": invitation_id})


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    return revocation_record(row=invitation, actor=actor, action="invitation.revoked", target=invitation.email)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Make the user a member with the invited role. An existing membership is kept as it is.

    Raises AccountError when the invitation is no longer open or was sent to an address the account does not have.
    """
    invitation = Invitation.objects.select_for_update().select_related("entity").get(pk=invitation.pk)
    if not invitation.is_open:
        raise AccountError("This invitation is no longer valid. Ask the admin who sent it for a new one.")
    if not _user_has_email(user=user, email=invitation.email):
        raise AccountError("This invitation was sent to another email address. Log in with the account that uses "
                           "that address, or log out and sign up with it.")
    membership, _ = Membership.objects.get_or_create(user=user, entity=invitation.entity, defaults={
        "role": invitation.role, "can_manage_integrations": invitation.can_manage_integrations})
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(entity=invitation.entity, actor=user, action="invitation.accepted", target=user.get_username(),
                 changes={"email": invitation.email, "role": membership.role,
                          "integrations_permission": membership.can_manage_integrations})
    return membership


def _user_has_email(*, user, email: str) -> bool:
    return (user.email or "").lower() == email or EmailAddress.objects.filter(user=user, email__iexact=email).exists()


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    """An admin removes a member. Raises AccountError for the entity's last admin."""
    _refuse_last_admin(membership, "This is the only admin of the organization. Make someone else an admin first.")
    membership.delete()
    audit_record(entity=membership.entity, actor=actor, action="membership.removed",
                 target=membership.user.get_username())


@transaction.atomic
def membership_leave(*, membership: Membership) -> None:
    """A member leaves. Raises AccountError for the entity's last admin."""
    _refuse_last_admin(membership, "You are the only admin, so you cannot leave. Make someone else an admin first.")
    membership.delete()
    audit_record(entity=membership.entity, actor=membership.user, action="membership.left",
                 target=membership.user.get_username())


def _refuse_last_admin(membership: Membership, message: str) -> None:
    # Locking every admin row makes two admins leaving at once take turns, so one of them is refused.
    admins = list(Membership.objects.select_for_update().filter(entity_id=membership.entity_id, role=Membership.Role.ADMIN))
    if membership.role == Membership.Role.ADMIN and all(admin.pk == membership.pk for admin in admins):
        raise AccountError(message)


@transaction.atomic
def entity_set_require_mfa(*, entity: Entity, required: bool, actor) -> Entity:
    """Require (or stop requiring) an authenticator app of every member.

    Raises AccountError when an admin without one turns it on, since they would be sent away from their own pages.
    """
    if required and not Authenticator.objects.filter(user=actor, type=Authenticator.Type.TOTP).exists():
        raise AccountError("Turn on two-factor authentication for your own account first.")
    entity.require_mfa = required
    entity.save(update_fields=["require_mfa"])
    audit_record(entity=entity, actor=actor, action="entity.mfa_required" if required else "entity.mfa_optional")
    return entity
