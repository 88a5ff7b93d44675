"""A simple Groups page; the activity app's richer page replaces it when installed (see strive/urls.py)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from integrations.decorators import entity_view
from strive import selectors
from strive.forms import GroupForm
from strive.models import Group
from strive.services.groups import GroupProtected, group_create, group_delete, group_protection_reason


@entity_view()
def group_list(request, entity):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = group_create(entity=entity, name=form.cleaned_data["name"], actor=request.user)
        messages.success(request, f"Created the group “{group.name}”.")
        return redirect("strive:groups", entity_slug=entity.slug)
    groups = [(g, group_protection_reason(g), g.memberships.count()) for g in selectors.group_list(entity=entity)]
    return render(request, "strive/groups.html", {"entity": entity, "form": form, "groups": groups})


@entity_view(methods=("POST",))
def group_delete_view(request, entity, group_id: int):
    group = get_object_or_404(Group, pk=group_id, entity=entity)
    try:
        group_delete(group=group, actor=request.user)
    except GroupProtected as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deleted the group “{group.name}”.")
    return redirect("strive:groups", entity_slug=entity.slug)
