"""Pages and Actions tabs, Sync/Unsync, and a page's automation."""

from functools import partial

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from integrations.decorators import entity_view
from strive.activity import selectors
from strive.activity.forms import AutomationForm
from strive.activity.models import Automation, Page
from strive.activity.services import automations, pages
from strive.activity.views.common import context, sync_button, with_connection


@entity_view(methods=("GET",))
@with_connection
def pages_page(request, entity, connection):
    q, synced = request.GET.get("q", "").strip(), request.GET.get("synced", "")
    rows, next_before = selectors.keyset(selectors.page_list(connection=connection, q=q, synced=synced),
                                         before=request.GET.get("before"))
    return render(request, "strive/activity/pages.html", context(
        request, entity, connection, "pages", pages=rows, next_before=next_before, q=q, synced=synced,
        total=Page.objects.filter(connection=connection).count()))


@entity_view(methods=("POST",))
@with_connection
def page_action(request, entity, connection, page_id: int, action: str):
    page = get_object_or_404(Page, pk=page_id, connection=connection)
    sync_button(request, action, "page",
                sync=(partial(pages.page_sync, page=page),
                      f"Synced “{page.name}”. Its group is ready; past actions are being imported."),
                unsync=(partial(pages.page_unsync, page=page),
                        f"Unsynced “{page.name}”. Its group keeps its members and can now be deleted."))
    return redirect("strive_activity:pages", entity_slug=entity.slug)


@entity_view()
@with_connection
def page_automation(request, entity, connection, page_id: int):
    page = get_object_or_404(Page, pk=page_id, connection=connection)
    current = Automation.objects.filter(page=page).first()
    initial = {"template": current.template, "enabled": current.enabled} if current else {
        "template": "Hi {{first_name}}, thanks for taking action on {{page_title}}!", "enabled": True}
    form = AutomationForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("delete") and current:
        automations.automation_delete(automation=current, actor=request.user)
        messages.success(request, f"Removed the automation of “{page.name}”.")
        return redirect("strive_activity:page-automation", entity_slug=entity.slug, page_id=page.pk)
    if request.method == "POST" and form.is_valid():
        if not page.synced:
            messages.error(request, "Sync the page first: only synced pages trigger automations.")
        else:
            automations.automation_save(page=page, actor=request.user, **form.cleaned_data)
            messages.success(request, f"Saved the automation of “{page.name}”.")
            return redirect("strive_activity:page-automation", entity_slug=entity.slug, page_id=page.pk)
    runs = page.automation.runs.select_related("message").order_by("-pk")[:20] if current else []
    return render(request, "strive/activity/automation.html", context(
        request, entity, connection, "pages", page=page, form=form, automation=current, runs=runs))


@entity_view(methods=("GET",))
@with_connection
def actions_page(request, entity, connection):
    q, page_id = request.GET.get("q", "").strip(), request.GET.get("page", "")
    rows, next_before = selectors.keyset(selectors.action_list(connection=connection, q=q, page_id=page_id),
                                         before=request.GET.get("before"))
    synced = Page.objects.filter(connection=connection, synced=True).order_by("name")
    return render(request, "strive/activity/actions.html", context(
        request, entity, connection, "actions", actions=rows, next_before=next_before, q=q, page_id=page_id,
        synced_pages=synced, importing_pages=[p.name for p in synced if p.import_status == "running"]))
