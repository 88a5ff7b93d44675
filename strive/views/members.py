"""Members: the list (filter by source and group, search by name, phone, email), add, edit, CSV import."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from integrations.decorators import entity_view
from integrations.selectors import import_job_list
from strive import selectors
from strive.forms import CsvImportForm, CustomFieldForm, MemberFilterForm, MemberForm
from strive.kind import KIND
from strive.models import CustomField, Group, Member
from strive.services.groups import SYNC_OWNED_KINDS, GroupSyncOwned, group_add_member, group_remove_member
from strive.services.imports import MembersFileInvalid, members_import_start
from strive.services.members import MemberInput, MemberInvalid, member_update, member_upsert


@entity_view(perm="member", methods=("GET",))
def member_list(request, entity):
    groups = selectors.group_list(entity=entity)
    form = MemberFilterForm(request.GET or None, sources=selectors.member_sources(entity=entity), groups=groups)
    q = source = group_id = None
    if form.is_valid():
        q, source = form.cleaned_data["q"], form.cleaned_data["source"]
        group_id = int(form.cleaned_data["group"]) if form.cleaned_data["group"] else None
    rows = selectors.member_search(entity=entity, q=q or "", source=source if "source" in request.GET and source != "" else None,
                                   group_id=group_id)
    members, next_before = selectors.keyset_page(rows, before=request.GET.get("before"))
    failures = selectors.member_push_failures(entity=entity, member_ids=[m.pk for m in members])
    for member in members:
        member.push_failure = failures.get(member.pk)
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "strive/members.html", {"entity": entity, "form": form, "members": members,
                                                   "next_before": next_before, "query": query.urlencode()})


@entity_view()
def member_add(request, entity):
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member, created = member_upsert(entity=entity, data=MemberInput(**form.cleaned_data), actor=request.user)
        except MemberInvalid as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, f"{'Added' if created else 'Updated'} the member {member.phone}.")
            return redirect("strive:member", entity_slug=entity.slug, member_id=member.pk)
    return render(request, "strive/member_form.html", {"entity": entity, "form": form})


@entity_view()
def member_detail(request, entity, member_id: int):
    member = get_object_or_404(Member, pk=member_id, entity=entity)
    form = MemberForm(request.POST or None, initial={f: getattr(member, f) for f in MemberForm.base_fields})
    if request.method == "POST" and request.POST.get("do") == "group":
        return _group_change(request, entity, member)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "phone" and getattr(member, k) != v}
        member_update(member=member, changes=changes, actor=request.user)
        messages.success(request, "Saved. Synced fields are sent to ActionKit by their sync options.")
        return redirect("strive:member", entity_slug=entity.slug, member_id=member.pk)
    failure = selectors.member_push_failures(entity=entity, member_ids=[member.pk]).get(member.pk)
    return render(request, "strive/member_detail.html", {
        "entity": entity, "member": member, "form": form, "groups": member.groups.order_by("name"),
        "all_groups": [g for g in selectors.group_list(entity=entity) if g.kind not in SYNC_OWNED_KINDS],
        "custom_fields": CustomField.objects.filter(entity=entity), "links": member.ak_links.all(),
        "push_failure": failure, "push_failure_words": selectors.member_push_failure_words(failure, member) if failure else "",
        "push_waiting": None if failure else selectors.member_push_waiting(entity=entity, member=member)})


def _group_change(request, entity, member):
    group = get_object_or_404(Group, pk=request.POST.get("group"), entity=entity)
    if request.POST.get("remove"):
        group_remove_member(group=group, member=member, actor=request.user)
        messages.success(request, f"Removed from “{group.name}”.")
    else:
        try:
            group_add_member(group=group, member=member, actor=request.user)
        except GroupSyncOwned as exc:
            messages.error(request, str(exc))
            return redirect("strive:member", entity_slug=entity.slug, member_id=member.pk)
        member.refresh_from_db()
        if member.ak_sync_error:
            messages.error(request, f"Added to “{group.name}”, but no ActionKit user was created: {member.ak_sync_error}")
        else:
            messages.success(request, f"Added to “{group.name}”.")
    return redirect("strive:member", entity_slug=entity.slug, member_id=member.pk)


@entity_view()
def member_import(request, entity):
    """Queue the file's import and show its job page; a file refused as a whole answers 400 here, nothing queued."""
    form = CsvImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = members_import_start(entity=entity, data=upload.read(), file_name=upload.name, actor=request.user)
        except MembersFileInvalid as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"Importing {job.total_rows:,} rows in the background. Progress shows below.")
            return redirect("integrations:import-job", entity_slug=entity.slug, job_id=job.pk)
    return render(request, "strive/member_import.html", {"entity": entity, "form": form,
                                                         "imports": import_job_list(entity=entity, kind=KIND)},
                  status=400 if request.method == "POST" else 200)


@entity_view()
def custom_fields(request, entity):
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if CustomField.objects.filter(entity=entity, name=form.cleaned_data["name"]).exists():
            form.add_error("name", "A custom field already has this name.")
        else:
            field = form.save(commit=False)
            field.entity = entity
            field.save()
            messages.success(request, f"Created the custom field “{field.label}”.")
            return redirect("strive:custom-fields", entity_slug=entity.slug)
    return render(request, "strive/custom_fields.html", {"entity": entity, "form": form,
                                                         "fields": CustomField.objects.filter(entity=entity)})
