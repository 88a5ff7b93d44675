"""The contributions ledger page and the CSV upload."""

from django.contrib import messages
from django.shortcuts import render

from actblue import selectors
from actblue.forms import CsvImportForm
from actblue.services.csv_import import CsvFileError, csv_import_bytes
from integrations.decorators import entity_view
from integrations.ids import id_from_text
from integrations.services.audit import audit_record


@entity_view(methods=("GET",))
def contributions(request, entity):
    before = request.GET.get("before", "")
    items, next_before = selectors.lineitem_page(entity=entity, before_id=id_from_text(before))
    return render(request, "actblue/contributions.html", {"entity": entity, "items": items, "next_before": next_before,
                                                          "profile": selectors.profile_get(entity=entity)})


@entity_view()
def contributions_import(request, entity):
    form = CsvImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            report = csv_import_bytes(entity=entity, data=form.cleaned_data["file"].read(), kind=kind)
        except CsvFileError as exc:
            form.add_error("file", str(exc))
        else:
            audit_record(entity=entity, actor=request.user, action="actblue.csv_imported", target=kind,
                         changes={"imported": report.imported, "duplicates": report.duplicates,
                                  "rejected": report.error_count})
            summary = f"{report.imported} imported, {report.duplicates} already recorded"
            if report.error_count:
                messages.error(request, f"{summary}; {report.error_count} row(s) rejected (listed below). The good "
                                        "rows were kept.")
            else:
                messages.success(request, f"{summary}.")
    return render(request, "actblue/import.html", {"entity": entity, "form": form, "report": report})
