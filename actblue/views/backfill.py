"""The backfill page, its live progress JSON and Cancel."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render

from actblue import selectors
from actblue.forms import BackfillForm
from actblue.kind import KIND
from integrations.decorators import connection_required, entity_view
from integrations.models import Backfill
from integrations.services.backfills import backfill_cancel, backfill_progress, backfill_start


def progress_for(backfill) -> dict:
    """The hub's progress numbers plus `done`, which tells static/js/app.js to stop polling."""
    progress = backfill_progress(backfill)
    progress["done"] = backfill.status in ("done", "cancelled")
    return progress


@entity_view()
@connection_required(kind=KIND)
def backfill_page(request, entity, connection):
    running = selectors.backfill_latest(connection=connection)
    running = running if running and running.status in (Backfill.Status.PLANNING, Backfill.Status.RUNNING) else None
    form = BackfillForm(request.POST or None)
    if request.method == "POST" and running:
        messages.error(request, "A backfill is already running. Cancel it on the details page before starting another.")
    elif request.method == "POST" and form.is_valid():
        backfill_start(connection=connection, params=form.backfill_params(), actor=request.user)
        messages.success(request, "Backfill started. Its progress shows below.")
        return redirect("actblue:detail", entity_slug=entity.slug)
    return render(request, "actblue/backfill.html", {"entity": entity, "connection": connection, "form": form,
                                                     "running": running})


def _backfill(entity, backfill_id: int) -> Backfill:
    connection = selectors.connection_get(entity=entity)
    backfill = selectors.backfill_get(connection=connection, backfill_id=backfill_id) if connection else None
    if backfill is None:
        raise Http404
    return backfill


@entity_view(methods=("GET",))
def backfill_progress_json(request, entity, backfill_id):
    return JsonResponse(progress_for(_backfill(entity, backfill_id)))


@entity_view(methods=("POST",))
def backfill_cancel_view(request, entity, backfill_id):
    backfill = backfill_cancel(backfill=_backfill(entity, backfill_id), actor=request.user)
    if backfill.status == Backfill.Status.CANCELLED:
        messages.success(request, "Backfill cancelled. Notifications it had not sent yet will not be sent.")
    else:
        messages.error(request, "That backfill had already finished.")
    return redirect("actblue:detail", entity_slug=entity.slug)
