from django import forms

from integrations.models import Membership


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                               help_text="For a new user. Leave blank to add an existing user.", min_length=10)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.STAFF)
    can_manage_integrations = forms.BooleanField(required=False, label="Integrations permission")


class MemberUpdateForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
    can_manage_integrations = forms.BooleanField(required=False, label="Integrations permission")


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where the key is used, e.g. 'ActBlue webhook relay'.")
