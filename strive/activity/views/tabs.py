"""ActionField Groups, Usergroups, Outbox and Webhook & polls tabs."""

from functools import partial

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from integrations.decorators import entity_view
from strive.activity import selectors
from strive.activity.forms import ActionFieldGroupForm
from strive.activity.models import ActionFieldGroup, Usergroup
from strive.activity.services import groups, poll, usergroups, webhooks
from strive.activity.views.common import context, sync_button, with_connection


@entity_view()
@with_connection
def actionfield_groups(request, entity, connection):
    names = selectors.field_name_choices(connection=connection)
    form = ActionFieldGroupForm(request.POST or None, connection=connection, field_names=names)
    if request.method == "POST" and form.is_valid():
        rule = groups.actionfield_group_create(connection=connection, actor=request.user, **form.cleaned_data)
        size = rule.group.memberships.count()
        messages.success(request, f"Created “{rule.group.name}” with {size} member{'' if size == 1 else 's'}.")
        return redirect("strive_activity:actionfield-groups", entity_slug=entity.slug)
    return render(request, "strive/activity/actionfield_groups.html", context(
        request, entity, connection, "actionfield-groups", form=form, rules=selectors.actionfield_group_list(
            connection=connection), field_names=names, show_form=request.method == "POST" or "add" in request.GET))


@entity_view(methods=("POST",))
@with_connection
def actionfield_group_delete_view(request, entity, connection, rule_id: int):
    rule = get_object_or_404(ActionFieldGroup, pk=rule_id, connection=connection)
    name = rule.group.name
    groups.actionfield_group_delete(rule=rule, actor=request.user)
    messages.success(request, f"Deleted the ActionField group “{name}”.")
    return redirect("strive_activity:actionfield-groups", entity_slug=entity.slug)


@entity_view(methods=("GET",))
@with_connection
def usergroups_page(request, entity, connection):
    cursor = connection.cursors.filter(stream="pages").first()
    return render(request, "strive/activity/usergroups.html", context(
        request, entity, connection, "usergroups", usergroups=selectors.usergroup_list(connection=connection),
        last_poll=cursor.last_run_finished_at if cursor else None))


@entity_view(methods=("POST",))
@with_connection
def usergroup_action(request, entity, connection, usergroup_id: int, action: str):
    usergroup = get_object_or_404(Usergroup, pk=usergroup_id, connection=connection)
    sync_button(request, action, "usergroup",
                sync=(partial(usergroups.usergroup_sync, usergroup=usergroup),
                      f"Synced “{usergroup.name}”: its group holds the synced members in it."),
                unsync=(partial(usergroups.usergroup_unsync, usergroup=usergroup),
                        f"Unsynced “{usergroup.name}”. Its group can now be deleted."))
    return redirect("strive_activity:usergroups", entity_slug=entity.slug)


@entity_view(methods=("GET",))
@with_connection
def outbox_page(request, entity, connection):
    rows, next_before = selectors.keyset(selectors.outbox_list(entity=entity), before=request.GET.get("before"))
    return render(request, "strive/activity/outbox.html", context(
        request, entity, connection, "outbox", messages_=rows, next_before=next_before))


@entity_view()
@with_connection
def settings_page(request, entity, connection):
    if request.method == "POST" and request.POST.get("do") == "regenerate":
        webhooks.webhook_secret_regenerate(connection=connection, actor=request.user)
        messages.success(request, "Generated a new webhook URL. The old one no longer works: update your pages.")
        return redirect("strive_activity:settings", entity_slug=entity.slug)
    if request.method == "POST" and request.POST.get("do") == "poll":
        poll.poll_connection_start(connection_id=connection.pk)
        messages.success(request, "A poll of pages, actions and usergroups is queued.")
        return redirect("strive_activity:settings", entity_slug=entity.slug)
    url = request.build_absolute_uri(webhooks.webhook_path(connection=connection))
    cursors = {c.stream: c for c in connection.cursors.filter(stream__in=("pages", "actions"))}
    return render(request, "strive/activity/settings.html", context(
        request, entity, connection, "webhook", webhook_url=url, cursors=cursors, now=timezone.now()))
