"""The details page frame (tabs) and its Overview tab, plus the progress JSON the Settings tab polls."""

from django.http import JsonResponse
from django.shortcuts import redirect, render

from integrations.decorators import entity_view
from integrations.models import Delivery
from strive import selectors
from strive.services.config import connection_for_entity, sync_settings


def detail_context(request, entity, *, active_tab: str, connection=None) -> dict:
    """What templates extending strive/detail_base.html need; other tab views add their own keys."""
    connection = connection or connection_for_entity(entity)
    return {"entity": entity, "connection": connection, "active_tab": active_tab,
            "settings": sync_settings(connection) if connection else None}


def connection_or_redirect(entity):
    connection = connection_for_entity(entity)
    if connection is None:
        return None, redirect("strive:connect", entity_slug=entity.slug)
    return connection, None


@entity_view(methods=("GET",))
def overview(request, entity):
    connection, response = connection_or_redirect(entity)
    if response:
        return response
    context = detail_context(request, entity, active_tab="overview", connection=connection)
    context["progress"] = selectors.sync_progress(connection=connection)
    context["recent_pushes"] = list(Delivery.objects.filter(connection=connection).order_by("-id")[:10])
    return render(request, "strive/overview.html", context)


@entity_view(methods=("GET",))
def progress_json(request, entity):
    connection, response = connection_or_redirect(entity)
    if response:
        return JsonResponse({"detail": "Not connected."}, status=404)
    return JsonResponse(selectors.sync_progress(connection=connection))
