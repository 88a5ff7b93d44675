"""Operator-only endpoints: Prometheus /metrics (bearer token) and the cross-tenant Connection error page (staff)."""

import hmac

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from integrations.models import Connection
from integrations.observability.exposition import CONTENT_TYPE
from integrations.observability.metrics import metrics_text

OPS_PAGE_SIZE = 50


@require_GET
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:  # Not configured: the endpoint does not exist.
        raise Http404
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        response = HttpResponse("A valid metrics bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE)


@staff_member_required
@require_GET
def connections_in_error(request):
    """Every integration in Connection error across all tenants, longest-failing first is not keyset-friendly,
    so the list pages by id (newest problem rows last) and shows since-when per row."""
    after = request.GET.get("after", "")
    rows = (Connection.objects.filter(status=Connection.Status.ERROR).select_related("entity").order_by("id")
            .only("id", "kind", "host", "status", "status_reason", "halted", "first_failure_at", "updated_at",
                  "consecutive_failures", "last_success_at", "entity__name", "entity__slug", "entity__paused"))
    if after.isdigit():
        rows = rows.filter(id__gt=int(after))
    page = list(rows[:OPS_PAGE_SIZE + 1])
    next_after = page[OPS_PAGE_SIZE - 1].id if len(page) > OPS_PAGE_SIZE else None
    total = Connection.objects.filter(status=Connection.Status.ERROR).count()
    return render(request, "ops/connections.html",
                  {"connections": page[:OPS_PAGE_SIZE], "next_after": next_after, "total": total})
