from django import forms

from strive.activity.mapping import MERGE_FIELD_HELP
from strive.activity.models import Page
from strive.activity.services.automations import MAX_TEMPLATE
from strive.models import Group


class ActionFieldGroupForm(forms.Form):
    name = forms.CharField(max_length=200, label="Group name")
    page = forms.ModelChoiceField(queryset=Page.objects.none(), required=False, empty_label="All synced pages",
                                  help_text="Leave as “All synced pages” to include actions on every synced page.")
    field_name = forms.ChoiceField(label="ActionField name", choices=())
    value = forms.CharField(max_length=500, required=False, label="Value contains",
                            help_text="Optional. Only actions whose field contains this text (ignoring case).")

    def __init__(self, *args, connection, field_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection
        self.fields["page"].queryset = Page.objects.filter(connection=connection, synced=True).order_by("name")
        self.fields["field_name"].choices = [("", "Choose a field…")] + [(n, n) for n in field_names]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        # Groups share one list and one member filter, so two with the same name could not be told apart.
        if Group.objects.filter(entity_id=self.connection.entity_id, name__iexact=name).exists():
            raise forms.ValidationError(f"A group named “{name}” already exists. Choose another name.")
        return name


class AutomationForm(forms.Form):
    template = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_TEMPLATE,
                               label="Message template", help_text=f"Merge fields: {MERGE_FIELD_HELP}.")
    enabled = forms.BooleanField(required=False, initial=True, label="On: send when someone takes this action")

