"""Where django-allauth meets the hub: the account adapter and the invitation a visitor is signing up for.

A visitor who opens an invitation link keeps it in their session (its id, once the token checked out). The sign-up
form then fixes the email to the invited address, which allauth counts as verified (they came from that mailbox),
and the adapter joins them to the inviting entity instead of creating an organization.
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from integrations.models import Invitation
from integrations.services.accounts import invitation_accept, organization_sign_up

INVITATION_SESSION_KEY = "integrations.invitation_id"


def invitation_remember(request, invitation: Invitation) -> None:
    request.session[INVITATION_SESSION_KEY] = invitation.pk
    AccountAdapter(request).stash_verified_email(request, invitation.email)


def invitation_pending(request) -> Invitation | None:
    """The open invitation this visitor came with, or None (forgetting one that closed meanwhile)."""
    pk = request.session.get(INVITATION_SESSION_KEY) if request is not None else None
    if pk is None:
        return None
    invitation = Invitation.objects.select_related("entity").filter(pk=pk).first()
    if invitation is None or not invitation.is_open:
        request.session.pop(INVITATION_SESSION_KEY, None)
        AccountAdapter(request).unstash_verified_email(request)
        return None
    return invitation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """Save the new account and, in the same transaction, either accept its invitation or found its organization."""
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=True)
            invitation = getattr(form, "invitation", None)
            if invitation is not None:
                invitation_accept(invitation=invitation, user=user)
                request.session.pop(INVITATION_SESSION_KEY, None)
            else:
                organization_sign_up(user=user, organization_name=form.cleaned_data["organization_name"])
        return user
