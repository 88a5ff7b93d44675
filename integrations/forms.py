from allauth.account.forms import SignupForm
from allauth.core import context
from django import forms

from integrations.accounts import invitation_pending
from integrations.models import Membership


class OrganizationSignupForm(SignupForm):
    """allauth's sign-up plus the organization it creates. Someone holding an invitation joins that entity instead:
    no organization field, and the email is the invited address (allauth then counts it as verified)."""

    organization_name = forms.CharField(max_length=200, label="Organization name",
                                        help_text="Your committee, campaign or group. You will be its admin.")
    field_order = ["organization_name", "username", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation_pending(context.request)
        if self.invitation is not None:
            del self.fields["organization_name"]
            email = self.fields["email"]
            self.initial["email"] = email.initial = self.invitation.email
            email.disabled = True  # Django then ignores whatever was posted for it.
            email.help_text = f"Your invitation to {self.invitation.entity.name} was sent to this address."

    def clean(self):
        cleaned_data = super().clean()
        if self.invitation is not None and self.account_already_exists:
            # Only the holder of the invitation link sees this, about the address the link was mailed to.
            self.add_error("email", "An account already uses this address. Log in to accept the invitation.")
        return cleaned_data


class InvitationForm(forms.Form):
    email = forms.EmailField(help_text="They get a link to create their account (or log in) and join.")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.STAFF)
    can_manage_integrations = forms.BooleanField(required=False, label="Integrations permission")


class MemberUpdateForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
    can_manage_integrations = forms.BooleanField(required=False, label="Integrations permission")


class MfaRequirementForm(forms.Form):
    require_mfa = forms.BooleanField(required=False, label="Require two-factor authentication for every member")


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where the key is used, e.g. 'ActBlue webhook relay'.")
