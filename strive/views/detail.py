"""The details page frame (tabs) and its Overview tab, plus the progress JSON the Settings tab polls."""

from django.http import JsonResponse
from django.shortcuts import render

from actionkit.compat import checklist
from actionkit.services import compat_result
from integrations.decorators import connection_required, entity_view
from integrations.models import Delivery
from strive import selectors
from strive.kind import KIND
from strive.services.config import connection_for_entity, sync_settings


def detail_context(request, entity, *, active_tab: str, connection=None) -> dict:
    """What templates extending strive/detail_base.html need; other tab views add their own keys."""
    connection = connection or connection_for_entity(entity)
    return {"entity": entity, "connection": connection, "active_tab": active_tab,
            "settings": sync_settings(connection) if connection else None}


@entity_view(methods=("GET",))
@connection_required(kind=KIND, active=False)  # A disconnected sync still shows what it kept.
def overview(request, entity, connection):
    context = detail_context(request, entity, active_tab="overview", connection=connection)
    context["progress"] = selectors.sync_progress(connection=connection)
    context["recent_pushes"] = list(Delivery.objects.filter(connection=connection).order_by("-id")[:10])
    context["compat"] = checklist(compat_result(connection))
    return render(request, "strive/overview.html", context)


@entity_view(methods=("GET",))
def progress_json(request, entity):
    connection = connection_for_entity(entity)
    if connection is None:  # JSON for the page's script, not a redirect.
        return JsonResponse({"detail": "Not connected."}, status=404)
    return JsonResponse(selectors.sync_progress(connection=connection))
