"""The toy kind's pages: connect, details and a settings tab that needs a live connection."""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines

from integrations.decorators import connection_required, entity_view
from integrations.selectors import connection_get
from integrations.services.connections import connection_connect
from tests.toykind.kind import KIND

PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% load kinds %}{% block content %}{% kind_breadcrumbs %}{% kind_tabs active %}'
    "<h1>Toy {{ active }}</h1>{% endblock %}")


def _page(request, entity, connection, active: str) -> HttpResponse:
    return HttpResponse(PAGE.render({"entity": entity, "connection": connection, "active": active}, request))


@entity_view()
def connect(request, entity):
    if request.method == "POST":
        connection_connect(entity=entity, kind=KIND, host="toy.example.org", config={}, secrets={}, actor=request.user)
        return redirect("toykind:detail", entity_slug=entity.slug)
    return _page(request, entity, None, "connect")


@entity_view(methods=("GET",))
def detail(request, entity):
    return _page(request, entity, connection_get(entity=entity, kind=KIND), "detail")


@entity_view()
@connection_required(kind=KIND)
def settings_page(request, entity, connection):
    return _page(request, entity, connection, "settings")
