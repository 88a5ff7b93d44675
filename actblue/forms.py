from django import forms

from actblue.kind import DEFAULT_ACCOUNT
from actblue.services.csv_import import KINDS


class ConnectForm(forms.Form):
    """The article's connect page: exactly these fields, in this order."""

    username = forms.CharField(label="Username", max_length=150,
                               help_text="The username of your ActionKit staff account.")
    password = forms.CharField(label="Password", max_length=256, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               help_text="The password of that staff account. Stored encrypted; never shown again.")
    host = forms.CharField(label="ActionKit Hostname", max_length=255,
                           widget=forms.TextInput(attrs={"placeholder": "yourorg.actionkit.com"}),
                           help_text="The address of your ActionKit instance, e.g. yourorg.actionkit.com.")
    account = forms.CharField(label="Account Name", max_length=100, required=False,
                              widget=forms.TextInput(attrs={"placeholder": DEFAULT_ACCOUNT}),
                              help_text=f"Optional. Identifies this ActBlue account in ActionKit; blank means "
                                        f"“{DEFAULT_ACCOUNT}”.")
    notify_managed = forms.BooleanField(label="Notify for All Managed Pages", required=False,
                                        help_text="Checked: ActionKit also receives contributions on every form your "
                                                  "entity manages for others. Unchecked: only contributions to your "
                                                  "entity. You can change this later in Settings.")


class ActBlueIdentityForm(forms.Form):
    MAX_IDS = 20

    entity_ids = forms.CharField(
        label="Your ActBlue entity ID(s)", max_length=400,
        help_text="The number ActBlue shows for your entity on its dashboard. Separate several with commas. "
                  "Line items to these ids are your contributions; others are gifts on forms you manage.")
    committee_name = forms.CharField(label="Committee name", max_length=200, required=False,
                                     help_text="As ActBlue spells it; forms whose managing entity has this name are "
                                               "forms you manage.")

    def clean_entity_ids(self):
        parts = [part.strip() for part in self.cleaned_data["entity_ids"].replace(";", ",").split(",") if part.strip()]
        if not parts:
            raise forms.ValidationError("Enter at least one ActBlue entity ID.")
        if len(parts) > self.MAX_IDS:
            raise forms.ValidationError(f"Enter at most {self.MAX_IDS} ids.")
        ids = []
        for part in parts:
            # isdecimal() alone lets "²" and other non-ASCII digits through, which int() then rejects.
            if not (part.isascii() and part.isdigit()) or not 0 < int(part) < 2**63:
                raise forms.ValidationError(f"“{part[:20]}” is not an ActBlue entity ID: a whole number such as 12345.")
            ids.append(int(part))
        return sorted(set(ids))


class ManagedFormsForm(forms.Form):
    send = forms.TypedChoiceField(label="Managed forms", widget=forms.RadioSelect, coerce=lambda v: v == "send",
                                  choices=[("send", "Send"), ("dont_send", "Don't send")],
                                  help_text="Send: notify ActionKit for all managed pages. Don't send: only for "
                                            "contributions to your own entity.")


class BackfillForm(forms.Form):
    mode = forms.ChoiceField(label="Resending data", widget=forms.RadioSelect, initial="new",
                             choices=[("new", "Only send data that hasn't been sent to ActionKit yet"),
                                      ("all", "Resend all data, including data sent before")])
    email_subscription = forms.BooleanField(
        label="Email subscription", required=False, initial=False,
        help_text="Subscribe historical donors to your ActionKit email list. Unchecked, the data is marked as a "
                  "backfill so nobody is subscribed or unsubscribed.")
    date_range = forms.ChoiceField(label="Date range", widget=forms.RadioSelect, initial="all",
                                   choices=[("all", "All historical data"), ("custom", "Custom date range")])
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_range") == "custom":
            start, end = data.get("date_from"), data.get("date_to")
            if not start:
                self.add_error("date_from", "Choose the first day to send.")
            if not end:
                self.add_error("date_to", "Choose the last day to send.")
            if start and end and start > end:
                self.add_error("date_to", "The end date must be on or after the start date.")
        return data

    def backfill_params(self) -> dict:
        data = self.cleaned_data
        custom = data["date_range"] == "custom"
        return {"mode": data["mode"], "email_subscription": data["email_subscription"],
                "date_from": data["date_from"].isoformat() if custom else None,
                "date_to": data["date_to"].isoformat() if custom else None}


class CsvImportForm(forms.Form):
    MAX_BYTES = 20 * 1024 * 1024

    kind = forms.ChoiceField(label="Export type", choices=[(k, {"paid": "Paid contributions", "refunded":
                             "Refunded contributions", "cancelled": "Cancelled recurring contributions"}[k]) for k in KINDS])
    file = forms.FileField(label="CSV file", help_text="An export downloaded from ActBlue, up to 20 MB.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB; split the export by date range.")
        return upload
