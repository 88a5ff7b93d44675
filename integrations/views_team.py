"""The Team page (members, invitations, the two-factor rule), a member's own page, and accepting an invitation.

Admins invite an email address; nobody is added by naming an existing account, so the page never tells an admin
whether an address or username has an account elsewhere, nor shows anyone outside the entity.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from integrations import selectors
from integrations.accounts import invitation_remember
from integrations.decorators import entity_view
from integrations.forms import InvitationForm, MemberUpdateForm, MfaRequirementForm
from integrations.models import Invitation, Membership
from integrations.services import accounts, tenancy
from integrations.services.accounts import AccountError


@entity_view(perm="admin")
def team(request, entity):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = accounts.invitation_send(entity=entity, actor=request.user,
                                                  site_url=request.build_absolute_uri("/"), **form.cleaned_data)
        except AccountError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}. The link works for "
                                      f"{settings.INVITATION_EXPIRY.days} days.")
            return redirect("integrations:team", entity_slug=entity.slug)
    members = Membership.objects.filter(entity=entity).select_related("user").order_by("user__username")
    return render(request, "integrations/team.html", {
        "entity": entity, "form": form, "members": members, "invitations": selectors.invitation_list_pending(entity=entity)})


@entity_view(perm="admin", methods=("POST",))
def team_update(request, entity, membership_id):
    membership = get_object_or_404(Membership, pk=membership_id, entity=entity)
    form = MemberUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
    elif membership.user_id == request.user.id and form.cleaned_data["role"] != Membership.Role.ADMIN:
        messages.error(request, "You cannot remove your own admin role; ask another admin.")
    else:
        tenancy.membership_update(membership=membership, actor=request.user, **form.cleaned_data)
        messages.success(request, f"Saved {membership.user.get_username()}'s role and permissions.")
    return redirect("integrations:team", entity_slug=entity.slug)


@entity_view(perm="admin", methods=("POST",))
def team_remove(request, entity, membership_id):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, entity=entity)
    try:
        accounts.membership_remove(membership=membership, actor=request.user)
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Removed {membership.user.get_username()} from {entity.name}.")
    if membership.user_id == request.user.id and not Membership.objects.filter(pk=membership.pk).exists():
        return redirect("home")
    return redirect("integrations:team", entity_slug=entity.slug)


@entity_view(perm="admin", methods=("POST",))
def invitation_action(request, entity, invitation_id, action):
    invitation = get_object_or_404(Invitation, pk=invitation_id, entity=entity, accepted_at__isnull=True,
                                   revoked_at__isnull=True)
    if action == "revoke":
        accounts.invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(request, f"Revoked the invitation of {invitation.email}; its link no longer works.")
    elif action == "resend":
        accounts.invitation_resend(invitation=invitation, actor=request.user, site_url=request.build_absolute_uri("/"))
        messages.success(request, f"Sent a new link to {invitation.email}; the previous one no longer works.")
    else:
        raise Http404
    return redirect("integrations:team", entity_slug=entity.slug)


@entity_view(perm="admin", methods=("POST",))
def team_security(request, entity):
    form = MfaRequirementForm(request.POST)
    form.is_valid()  # A lone optional checkbox is always valid.
    try:
        accounts.entity_set_require_mfa(entity=entity, required=form.cleaned_data["require_mfa"], actor=request.user)
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Every member now needs an authenticator app." if entity.require_mfa
                         else "Two-factor authentication is now up to each member.")
    return redirect("integrations:team", entity_slug=entity.slug)


@entity_view(perm="member", mfa_exempt=True)
def membership(request, entity):
    """The signed-in person's own page in an entity: their role, account security, and leaving."""
    if request.method == "POST":
        try:
            accounts.membership_leave(membership=request.membership)
        except AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"You left {entity.name}.")
            return redirect("home")
    return render(request, "integrations/membership.html", {"entity": entity, "membership": request.membership})


def entity_landing_url(membership: Membership) -> str:
    """Where a member starts: the Integrations hub if they may use it, else their own page (any member may)."""
    name = "integrations:hub" if membership.may_manage_integrations else "integrations:membership"
    return reverse(name, kwargs={"entity_slug": membership.entity.slug})


def invitation_accept(request, token):
    """The emailed link. Visitors choose to sign up (the email is then pre-verified) or log in; members accept."""
    invitation = selectors.invitation_get_by_token(token=token)
    if invitation is None:
        raise Http404
    context = {"invitation": invitation, "here": request.get_full_path()}
    if not invitation.is_open or not request.user.is_authenticated:
        if invitation.is_open:
            invitation_remember(request, invitation)
        return render(request, "integrations/invitation.html", context)
    if request.method == "POST":
        try:
            membership = accounts.invitation_accept(invitation=invitation, user=request.user)
        except AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Welcome to {invitation.entity.name}.")
            return redirect(entity_landing_url(membership))
    return render(request, "integrations/invitation.html", context)
