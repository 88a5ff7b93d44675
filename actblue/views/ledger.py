"""The contributions ledger page and the CSV upload, which queues a background import and shows its job page."""

from django.contrib import messages
from django.shortcuts import redirect, render

from actblue import selectors
from actblue.forms import CsvImportForm
from actblue.kind import KIND
from actblue.services.csv_import import CsvFileError
from actblue.services.csv_jobs import contributions_import_start
from integrations.decorators import entity_view
from integrations.ids import id_from_text
from integrations.selectors import import_job_list


@entity_view(methods=("GET",))
def contributions(request, entity):
    before = request.GET.get("before", "")
    items, next_before = selectors.lineitem_page(entity=entity, before_id=id_from_text(before))
    return render(request, "actblue/contributions.html", {
        "entity": entity, "items": items, "next_before": next_before, "profile": selectors.profile_get(entity=entity),
        "connection": selectors.connection_get(entity=entity)})  # The tabs show Settings and Historical data by it.


@entity_view()
def contributions_import(request, entity):
    form = CsvImportForm(request.POST or None, request.FILES or None)
    connection = selectors.connection_get(entity=entity)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = contributions_import_start(entity=entity, connection=connection, data=upload.read(),
                                             file_name=upload.name, kind=form.cleaned_data["kind"], actor=request.user)
        except CsvFileError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"Importing {job.total_rows:,} rows in the background. Progress shows below.")
            return redirect("integrations:import-job", entity_slug=entity.slug, job_id=job.pk)
    status = 400 if request.method == "POST" else 200  # Reached on a POST only when the form or the file was refused.
    return render(request, "actblue/import.html", {"entity": entity, "form": form, "connection": connection,
                                                   "imports": import_job_list(entity=entity, kind=KIND)}, status=status)
