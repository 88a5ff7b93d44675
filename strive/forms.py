from django import forms

from strive.models import CustomField, Group, Member
from strive.services.config import PHONE_TYPE_CHOICES
from strive.syncrules import SYNC_OPTION_LABELS, SyncOption

OPTION_CHOICES = [(o.value, SYNC_OPTION_LABELS[o]) for o in SyncOption]
PHONE_CHOICES = [("", "—")] + [(t, t.title()) for t in PHONE_TYPE_CHOICES]


class ConnectForm(forms.Form):
    host = forms.CharField(label="Hostname", max_length=255, help_text="Your ActionKit root domain, e.g. act.example.org")
    username = forms.CharField(label="Staff username", max_length=150,
                               help_text="A staff account used only for this integration.")
    password = forms.CharField(label="Staff password", widget=forms.PasswordInput(render_value=False))


class SyncOptionForm(forms.Form):
    sync_option = forms.ChoiceField(label="Sync Options", choices=OPTION_CHOICES)


class AddFieldForm(forms.Form):
    member_field = forms.ChoiceField(label="AKbridge member field")
    ak_field = forms.ChoiceField(label="ActionKit userfield")
    sync_option = forms.ChoiceField(label="Sync Options", choices=OPTION_CHOICES, initial=SyncOption.POPULATE_NO_OVERWRITE)

    def __init__(self, *args, custom_fields, userfields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_field"].choices = [(f.name, f.label) for f in custom_fields
                                               if f.field_type == CustomField.Type.TEXT]
        self.fields["ak_field"].choices = [(name, name) for name in userfields]


class SettingsForm(forms.Form):
    opt_in_field = forms.ChoiceField(label="Opt-in Field Sync", help_text="The userfield that holds SMS opt-in status.")
    phone_1 = forms.ChoiceField(label="Phone Number Sync: 1st choice", choices=PHONE_CHOICES, required=False)
    phone_2 = forms.ChoiceField(label="2nd choice", choices=PHONE_CHOICES, required=False)
    phone_3 = forms.ChoiceField(label="3rd choice", choices=PHONE_CHOICES, required=False)
    create_users = forms.BooleanField(label="Create Users in ActionKit", required=False,
                                      help_text="Adding a member to the “ActionKit Integration” group creates an "
                                                "ActionKit user (it needs an email no other user has).")

    def __init__(self, *args, userfields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opt_in_field"].choices = [(name, name) for name in userfields]

    def phone_types(self) -> list[str]:
        picks = [self.cleaned_data.get(f"phone_{i}") for i in (1, 2, 3)]
        return [p for p in dict.fromkeys(picks) if p]

    def clean(self):
        data = super().clean()
        if not self.phone_types():
            raise forms.ValidationError("Pick at least one phone type for Phone Number Sync.")
        return data


class MemberFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, widget=forms.TextInput(attrs={"placeholder": "Name, phone or email"}))
    source = forms.ChoiceField(label="Source", required=False)
    group = forms.ChoiceField(label="Group", required=False)

    def __init__(self, *args, sources: list[str], groups: list[Group], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Any source")] + [(s, s or "(none)") for s in sources]
        self.fields["group"].choices = [("", "Any group")] + [(str(g.pk), g.name) for g in groups]


class MemberForm(forms.Form):
    phone = forms.CharField(max_length=40, help_text="Any US or international format.")
    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=100)
    email = forms.EmailField(required=False)
    city = forms.CharField(required=False, max_length=100)
    state = forms.CharField(required=False, max_length=50)
    zip = forms.CharField(required=False, max_length=20)
    sms_opt_in = forms.ChoiceField(label="SMS opt-in", choices=Member.OptIn.choices, initial=Member.OptIn.UNKNOWN)
    source = forms.CharField(required=False, max_length=100, initial="manual")


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="Header row with phone and any of: first_name, last_name, email, "
                                                       "city, state, zip, sms_opt_in, source, and custom field names.")


class CustomFieldForm(forms.ModelForm):
    class Meta:
        model = CustomField
        fields = ["label", "name", "field_type"]
        # The model's help text is for developers; this is what people read on the form.
        labels = {"name": "Short name"}
        help_texts = {"name": "Letters, numbers, hyphens and underscores, e.g. favorite_issue. CSV imports use it as "
                              "the column header."}
        error_messages = {"name": {"invalid": "Use only letters, numbers, hyphens and underscores in the short name, "
                                              "e.g. favorite_issue."}}


class GroupForm(forms.Form):
    name = forms.CharField(max_length=200, label="Group name", error_messages={"required": "Give the group a name."})
