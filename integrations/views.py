from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection as db_connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from integrations import registry, selectors
from integrations.decorators import entity_view
from integrations.forms import ApiKeyForm
from integrations.health import health_report
from integrations.models import ApiCredential
from integrations.services import api_keys
from integrations.views_team import entity_landing_url


@login_required
def home(request):
    entities = list(selectors.entity_list_for_user(user=request.user))
    if len(entities) == 1:
        return redirect(entity_landing_url(selectors.membership_for(user=request.user, entity=entities[0])))
    return render(request, "integrations/home.html", {"entities": entities})


@entity_view(methods=("GET",))
def hub(request, entity):
    membership = request.membership
    connections = {conn.kind: conn for conn in selectors.connection_list(entity=entity)}
    tiles = [{"kind": kind, "connection": connections.get(kind.slug),
              "connect_url": reverse(kind.connect_url, kwargs={"entity_slug": entity.slug}),
              "detail_url": reverse(kind.detail_url, kwargs={"entity_slug": entity.slug})} for kind in registry.kinds()]
    return render(request, "integrations/hub.html", {"entity": entity, "tiles": tiles, "membership": membership})


@entity_view(methods=("GET",))
def activity(request, entity):
    before = request.GET.get("before")
    events = selectors.audit_list(entity=entity, limit=50, before_id=int(before) if before and before.isdigit() else None)
    next_before = events[-1].id if len(events) == 50 else None
    return render(request, "integrations/activity.html", {"entity": entity, "events": events, "next_before": next_before})


@entity_view()
def api_keys_page(request, entity):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        if ApiCredential.objects.filter(entity=entity, name=form.cleaned_data["name"], revoked_at__isnull=True).exists():
            form.add_error("name", "A live key already has this name; rotate it instead.")
        else:
            _, new_key = api_keys.api_credential_create(entity=entity, name=form.cleaned_data["name"], actor=request.user)
            messages.success(request, "API key created. Copy it now: it will not be shown again.")
    credentials = ApiCredential.objects.filter(entity=entity).order_by("-created_at")
    return render(request, "integrations/api_keys.html",
                  {"entity": entity, "form": form, "credentials": credentials, "new_key": new_key})


@entity_view(methods=("POST",))
def api_key_action(request, entity, credential_id, action):
    credential = get_object_or_404(ApiCredential, pk=credential_id, entity=entity, revoked_at__isnull=True)
    if action == "revoke":
        api_keys.api_credential_revoke(credential=credential, actor=request.user)
        messages.success(request, f"Revoked the key '{credential.name}'.")
        return redirect("integrations:api-keys", entity_slug=entity.slug)
    if action != "rotate":
        raise Http404
    _, new_key = api_keys.api_credential_rotate(credential=credential, actor=request.user)
    messages.success(request, "Key rotated. The old key stops working now; copy the new one: it will not be shown again.")
    credentials = ApiCredential.objects.filter(entity=entity).order_by("-created_at")
    return render(request, "integrations/api_keys.html",
                  {"entity": entity, "form": ApiKeyForm(), "credentials": credentials, "new_key": new_key})


def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)


def readyz(request):
    try:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"ready": False}, status=503)
    return JsonResponse({"ready": True})
