"""The organization's ActBlue side: its ActBlue entity ids, and the credentials of ActBlue's webhook."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from actblue import selectors
from actblue.forms import ActBlueIdentityForm
from actblue.services.profile import actblue_identity_set, webhook_credentials_create
from integrations.decorators import entity_view

WEBHOOK_PASSWORD_SESSION_KEY = "actblue_webhook_password"  # Shown once, on the page the generation redirects to.


def webhook_context(request, entity) -> dict:
    profile = selectors.profile_get(entity=entity)
    token = profile.webhook_token if profile else None
    return {"profile": profile,
            "webhook_url": request.build_absolute_uri(reverse("actblue-hooks:webhook", args=[token])) if token else "",
            "webhook_password": request.session.pop(WEBHOOK_PASSWORD_SESSION_KEY, None)}


@entity_view(methods=("POST",))
def webhook_credentials(request, entity):
    profile = selectors.profile_get(entity=entity)
    rotating = bool(profile and profile.webhook_token)
    _, password = webhook_credentials_create(entity=entity, actor=request.user)
    request.session[WEBHOOK_PASSWORD_SESSION_KEY] = password
    messages.success(request, ("New webhook credentials: the old URL, username and password stop working now. "
                               if rotating else "Webhook credentials created. ") +
                     "Copy the password now: it will not be shown again.")
    return redirect(reverse("actblue:detail", kwargs={"entity_slug": entity.slug}) + "#webhook")


@entity_view()
def identity(request, entity):
    """The organization's own ActBlue entity ids and committee name: what "contributions to your entity" means."""
    profile = selectors.profile_get(entity=entity)
    initial = {"entity_ids": ", ".join(map(str, profile.entity_ids)), "committee_name": profile.committee_name} if profile else {}
    form = ActBlueIdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actblue_identity_set(entity=entity, entity_ids=form.cleaned_data["entity_ids"],
                             committee_name=form.cleaned_data["committee_name"], actor=request.user)
        messages.success(request, "Saved. Contributions to these ActBlue entity ids are sent to your ActionKit as "
                                  "your own.")
        return redirect("actblue:identity", entity_slug=entity.slug)
    return render(request, "actblue/identity.html", {"entity": entity, "form": form, "profile": profile,
                                                     "connection": selectors.connection_get(entity=entity)})
