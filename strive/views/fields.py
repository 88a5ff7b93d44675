"""The Fields tab: core fields with their sync option (Details › Sync Options) and +Add Field for custom fields."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from integrations.decorators import connection_required, entity_view
from strive import selectors
from strive.forms import AddFieldForm, SyncOptionForm
from strive.kind import KIND
from strive.models import CustomField, FieldMapping
from strive.services import fields as field_services
from strive.syncrules import SYNC_OPTION_HELP, SYNC_OPTION_LABELS
from strive.views.detail import detail_context


@entity_view()
@connection_required(kind=KIND, active=False)
def fields_tab(request, entity, connection):
    field_services.core_mappings_ensure(connection=connection)
    custom_fields = list(CustomField.objects.filter(entity=entity))
    userfields = selectors.allowed_userfields(connection=connection)
    mapped = set(FieldMapping.objects.filter(connection=connection).values_list("ak_field", flat=True))
    free = [name for name in userfields if name not in mapped and name != connection.config.get("opt_in_field", "sms_opt_in")]
    add_form = AddFieldForm(request.POST or None, custom_fields=custom_fields, userfields=free)
    if request.method == "POST" and add_form.is_valid():
        try:
            field_services.mapping_add_custom(connection=connection, allowed_userfields=userfields, actor=request.user,
                                              member_field=add_form.cleaned_data["member_field"],
                                              ak_field=add_form.cleaned_data["ak_field"],
                                              option=add_form.cleaned_data["sync_option"])
        except field_services.MappingInvalid as exc:
            add_form.add_error(None, str(exc))
        else:
            messages.success(request, f"Mapped “{add_form.cleaned_data['member_field']}” to the userfield "
                                      f"“{add_form.cleaned_data['ak_field']}”.")
            return redirect("strive:fields", entity_slug=entity.slug)
    context = detail_context(request, entity, active_tab="fields", connection=connection)
    context.update(rows=_rows(connection), add_form=add_form, show_add=request.method == "POST" or "add" in request.GET,
                   custom_fields=custom_fields, option_help=[(SYNC_OPTION_LABELS[k], v) for k, v in SYNC_OPTION_HELP.items()])
    return render(request, "strive/fields.html", context)


def _rows(connection) -> list[dict]:
    labels = {f.name: f.label for f in CustomField.objects.filter(entity=connection.entity)}
    rows = []
    for mapping in FieldMapping.objects.filter(connection=connection).order_by("-is_core", "id"):
        options = field_services.allowed_options(mapping.member_field, is_core=mapping.is_core)
        rows.append({"mapping": mapping, "label": field_services.CORE_LABELS.get(mapping.member_field)
                     or labels.get(mapping.member_field, mapping.member_field),
                     "option_label": SYNC_OPTION_LABELS.get(mapping.sync_option, mapping.sync_option),
                     "options": [(o.value, SYNC_OPTION_LABELS[o]) for o in options]})
    return rows


@entity_view(methods=("POST",))
def field_option(request, entity, mapping_id: int):
    mapping = get_object_or_404(FieldMapping, pk=mapping_id, connection__entity=entity)
    form = SyncOptionForm(request.POST)
    try:
        if not form.is_valid():
            raise field_services.MappingInvalid("Choose one of the six sync options.")
        field_services.mapping_set_option(mapping=mapping, option=form.cleaned_data["sync_option"], actor=request.user)
    except field_services.MappingInvalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Saved: {SYNC_OPTION_LABELS[mapping.sync_option]} for "
                                  f"{field_services.CORE_LABELS.get(mapping.member_field, mapping.member_field)}.")
    return redirect("strive:fields", entity_slug=entity.slug)


@entity_view(methods=("POST",))
def field_remove(request, entity, mapping_id: int):
    mapping = get_object_or_404(FieldMapping, pk=mapping_id, connection__entity=entity)
    try:
        field_services.mapping_remove(mapping=mapping, actor=request.user)
    except field_services.MappingInvalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Stopped syncing “{mapping.member_field}”.")
    return redirect("strive:fields", entity_slug=entity.slug)
