"""Connect, details, settings and disconnect pages. Every view is entity-scoped by `entity_view`."""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from actblue import selectors
from actblue.forms import ActBlueIdentityForm, ConnectForm, ManagedFormsForm
from actblue.kind import CONFIG_ACCOUNT, CONFIG_NOTIFY_MANAGED, CONFIG_USERNAME, DEFAULT_ACCOUNT, EVENT_TYPES
from actblue.services.connecting import ConnectError, actionkit_connect, actionkit_disconnect, managed_forms_set
from actblue.services.profile import actblue_identity_set, webhook_credentials_create
from integrations.decorators import entity_view
from integrations.ids import id_from_text
from integrations.models import Connection, Delivery
from integrations.selectors import delivery_get
from integrations.services.backfills import backfill_progress
from integrations.services.deliveries import delivery_retry

RETRYABLE_BY_HAND = (Delivery.Status.FAILED, Delivery.Status.DEAD, Delivery.Status.CANCELLED)
WEBHOOK_PASSWORD_SESSION_KEY = "actblue_webhook_password"  # Shown once, on the page the generation redirects to.


def progress_for(backfill) -> dict:
    """The hub's progress numbers plus `done`, which tells static/js/app.js to stop polling."""
    progress = backfill_progress(backfill)
    progress["done"] = backfill.status in ("done", "cancelled")
    return progress


class NotConnected(Exception):
    pass


def _active_connection(entity) -> Connection:
    connection = selectors.connection_get(entity=entity)
    if connection is None or not connection.is_active:
        raise NotConnected
    return connection


def requires_connection(view):
    """Settings, backfill and disconnect need a live connection; otherwise explain and go to the details page."""
    @wraps(view)
    def wrapper(request, entity, *args, **kwargs):
        try:
            return view(request, entity, *args, **kwargs)
        except NotConnected:
            messages.error(request, "ActionKit is not connected. Connect it first.")
            return redirect("actblue:detail", entity_slug=entity.slug)
    return wrapper


@entity_view()
def connect(request, entity):
    connection = selectors.connection_get(entity=entity)
    initial = {}
    if connection:  # Reconnecting: offer what we kept, never the password.
        initial = {"username": connection.config.get(CONFIG_USERNAME, ""), "host": connection.host,
                   "account": connection.config.get(CONFIG_ACCOUNT, ""),
                   "notify_managed": bool(connection.config.get(CONFIG_NOTIFY_MANAGED))}
    form = ConnectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            connection = actionkit_connect(entity=entity, actor=request.user, **data)
        except ConnectError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"Connected to ActionKit at {connection.host}. Contributions, refunds and "
                                      "cancellations will now be sent there.")
            return redirect("actblue:detail", entity_slug=entity.slug)
    return render(request, "actblue/connect.html", {"entity": entity, "form": form, "connection": connection,
                                                    "default_account": DEFAULT_ACCOUNT})


def webhook_context(request, entity) -> dict:
    profile = selectors.profile_get(entity=entity)
    token = profile.webhook_token if profile else None
    return {"profile": profile,
            "webhook_url": request.build_absolute_uri(reverse("actblue-hooks:webhook", args=[token])) if token else "",
            "webhook_password": request.session.pop(WEBHOOK_PASSWORD_SESSION_KEY, None)}


@entity_view(methods=("GET",))
def detail(request, entity):
    connection = selectors.connection_get(entity=entity)
    context = {"entity": entity, "connection": connection, "event_types": EVENT_TYPES, **webhook_context(request, entity)}
    if connection is not None:
        before = request.GET.get("before", "")
        deliveries, next_before = selectors.delivery_page(connection=connection,
                                                          before_id=id_from_text(before))
        backfill = selectors.backfill_latest(connection=connection)
        open_count, open_capped = selectors.open_delivery_count(connection=connection)
        context.update(deliveries=deliveries, next_before=next_before, backfill=backfill,
                       progress=progress_for(backfill) if backfill else None,
                       historical_sent=selectors.historical_data_sent(connection=connection),
                       account=connection.config.get(CONFIG_ACCOUNT) or DEFAULT_ACCOUNT,
                       open_count=open_count, open_capped=open_capped, retryable=RETRYABLE_BY_HAND)
    return render(request, "actblue/detail.html", context)


@entity_view()
@requires_connection
def settings_page(request, entity):
    connection = _active_connection(entity)
    editing = request.GET.get("edit") == "managed" or request.method == "POST"
    current = "send" if connection.config.get(CONFIG_NOTIFY_MANAGED) else "dont_send"
    form = ManagedFormsForm(request.POST or None, initial={"send": current})
    if request.method == "POST" and form.is_valid():
        managed_forms_set(connection=connection, send=form.cleaned_data["send"], actor=request.user)
        choice = "Send" if form.cleaned_data["send"] else "Don't send"
        messages.success(request, f"Saved. Managed forms: {choice}.")
        return redirect("actblue:settings", entity_slug=entity.slug)
    return render(request, "actblue/settings.html", {"entity": entity, "connection": connection, "form": form,
                                                     "editing": editing, "account": connection.config.get(
                                                         CONFIG_ACCOUNT) or DEFAULT_ACCOUNT})


@entity_view(methods=("POST",))
@requires_connection
def disconnect(request, entity):
    connection = _active_connection(entity)
    actionkit_disconnect(connection=connection, actor=request.user)
    messages.success(request, "Disconnected. Nothing more is sent to ActionKit; every record is kept, and connecting "
                              "again resumes where it stopped.")
    return redirect("actblue:detail", entity_slug=entity.slug)


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


@entity_view(methods=("POST",))
def delivery_retry_view(request, entity, delivery_id):
    delivery = delivery_get(entity=entity, delivery_id=delivery_id)
    if delivery.status not in RETRYABLE_BY_HAND:
        messages.error(request, "Only failed or cancelled notifications can be retried.")
    else:
        delivery_retry(delivery=delivery, actor=request.user)
        messages.success(request, f"Notification {delivery.key} will be sent again now.")
    return redirect("actblue:detail", entity_slug=entity.slug)
