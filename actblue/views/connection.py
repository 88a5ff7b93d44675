"""Connect, details, settings, disconnect and retry. Every view is entity-scoped by `entity_view`."""

from django.contrib import messages
from django.shortcuts import redirect, render

from actblue import selectors
from actblue.forms import ConnectForm, ManagedFormsForm
from actblue.kind import CONFIG_ACCOUNT, CONFIG_NOTIFY_MANAGED, CONFIG_USERNAME, DEFAULT_ACCOUNT, EVENT_TYPES, KIND
from actblue.services.connecting import ConnectError, actionkit_connect, actionkit_disconnect, managed_forms_set
from actblue.views.backfill import progress_for
from actblue.views.profile import webhook_context
from actionkit.compat import checklist
from actionkit.services import compat_result
from integrations.decorators import connection_required, entity_view
from integrations.ids import id_from_text
from integrations.models import Delivery
from integrations.selectors import delivery_get
from integrations.services.deliveries import delivery_retry

RETRYABLE_BY_HAND = (Delivery.Status.FAILED, Delivery.Status.DEAD, Delivery.Status.CANCELLED)


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
                       open_count=open_count, open_capped=open_capped, retryable=RETRYABLE_BY_HAND,
                       compat=checklist(compat_result(connection)))
    return render(request, "actblue/detail.html", context)


@entity_view()
@connection_required(kind=KIND)
def settings_page(request, entity, connection):
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
@connection_required(kind=KIND)
def disconnect(request, entity, connection):
    actionkit_disconnect(connection=connection, actor=request.user)
    messages.success(request, "Disconnected. Nothing more is sent to ActionKit; every record is kept, and connecting "
                              "again resumes where it stopped.")
    return redirect("actblue:detail", entity_slug=entity.slug)


@entity_view(methods=("POST",))
def delivery_retry_view(request, entity, delivery_id):
    delivery = delivery_get(entity=entity, delivery_id=delivery_id)
    if delivery.status not in RETRYABLE_BY_HAND:
        messages.error(request, "Only failed or cancelled notifications can be retried.")
    else:
        delivery_retry(delivery=delivery, actor=request.user)
        messages.success(request, f"Notification {delivery.key} will be sent again now.")
    return redirect("actblue:detail", entity_slug=entity.slug)
