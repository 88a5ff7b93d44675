"""The Groups page: every group's kind, size and protection; manual groups are created and deleted here."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from integrations.decorators import entity_view
from strive.activity import selectors
from strive.activity.forms import ManualGroupForm
from strive.activity.services import groups
from strive.models import Group


@entity_view(perm="member")
def groups_page(request, entity):
    form = ManualGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = groups.manual_group_create(entity=entity, name=form.cleaned_data["name"], actor=request.user)
        messages.success(request, f"Created the group “{group.name}”.")
        return redirect("strive_activity:groups", entity_slug=entity.slug)
    rows = [(g, groups.group_protection_reason(g)) for g in selectors.group_list(entity=entity)]
    return render(request, "strive/activity/groups.html", {"entity": entity, "rows": rows, "form": form})


@entity_view(perm="member", methods=("POST",))
def group_delete_view(request, entity, group_id: int):
    group = get_object_or_404(Group, pk=group_id, entity=entity)
    try:
        groups.group_delete(group=group, actor=request.user)
    except groups.GroupProtected as exc:
        messages.error(request, f"“{group.name}” was not deleted: {exc}")
    else:
        messages.success(request, f"Deleted the group “{group.name}”.")
    return redirect("strive_activity:groups", entity_slug=entity.slug)
