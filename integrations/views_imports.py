"""An import job's page, its progress JSON, its row errors as CSV, and Cancel. Every kind's uploads land here."""

import csv

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from integrations import registry, selectors
from integrations.decorators import entity_view
from integrations.services.imports import import_job_cancel, import_job_progress

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # A spreadsheet would run a cell starting so as a formula.


def _upload_url(entity, job) -> str:
    try:
        return reverse(registry.get_kind(job.kind).import_url, kwargs={"entity_slug": entity.slug})
    except (LookupError, NoReverseMatch):
        return reverse("integrations:hub", kwargs={"entity_slug": entity.slug})


@entity_view(methods=("GET",))
def import_job_page(request, entity, job_id: int):
    job = selectors.import_job_get(entity=entity, job_id=job_id)
    return render(request, "integrations/import_job.html", {
        "entity": entity, "job": job, "progress": import_job_progress(job), "upload_url": _upload_url(entity, job)})


@entity_view(methods=("GET",))
def import_job_progress_json(request, entity, job_id: int):
    return JsonResponse(import_job_progress(selectors.import_job_get(entity=entity, job_id=job_id)))


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@entity_view(methods=("GET",))
def import_job_errors_csv(request, entity, job_id: int):
    job = selectors.import_job_get(entity=entity, job_id=job_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-row-errors.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "message"])
    for error in job.errors:
        writer.writerow([error["row"], _cell(str(error["message"]))])
    return response


@entity_view(methods=("POST",))
def import_job_cancel_view(request, entity, job_id: int):
    job = selectors.import_job_get(entity=entity, job_id=job_id)
    if import_job_cancel(job=job, actor=request.user):
        messages.success(request, "Import cancelled. The rows recorded before it stopped are kept.")
    else:
        messages.error(request, "That import had already stopped.")
    return redirect("integrations:import-job", entity_slug=entity.slug, job_id=job.pk)
