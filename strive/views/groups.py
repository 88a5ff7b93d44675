"""The Groups page: every group's kind, size and protection; manual groups are created and deleted here.

Any member of the entity may use it (perm="member"), as they could the activity app's page it replaces. Protection
rules come from strive/protections.py, so the ActionKit-managed groups are refused here whichever app made them.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from integrations.decorators import entity_view
from strive import selectors
from strive.forms import GroupForm
from strive.models import Group
from strive.services.groups import GroupProtected, group_create, group_delete, group_protection_reason


@entity_view(perm="member")
def group_list(request, entity):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = group_create(entity=entity, name=form.cleaned_data["name"], actor=request.user)
        messages.success(request, f"Created the group “{group.name}”.")
        return redirect("strive:groups", entity_slug=entity.slug)
    rows = [(g, group_protection_reason(g)) for g in selectors.group_list_sized(entity=entity)]
    return render(request, "strive/groups.html", {"entity": entity, "rows": rows, "form": form})


@entity_view(perm="member", methods=("POST",))
def group_delete_view(request, entity, group_id: int):
    group = get_object_or_404(Group, pk=group_id, entity=entity)
    try:
        group_delete(group=group, actor=request.user)
    except GroupProtected as exc:
        messages.error(request, f"“{group.name}” was not deleted: {exc}")
    else:
        messages.success(request, f"Deleted the group “{group.name}”.")
    return redirect("strive:groups", entity_slug=entity.slug)
