"""The Settings tab: Opt-in Field Sync, Phone Number Sync, Create Users, the Sync Accounts toggle and progress."""

from django.contrib import messages
from django.shortcuts import redirect, render

from actionkit import errors
from integrations.decorators import connection_required, entity_view
from strive import selectors
from strive.forms import SettingsForm
from strive.kind import KIND
from strive.services import activation
from strive.views.detail import detail_context


@entity_view()
@connection_required(kind=KIND, active=False)
def settings_tab(request, entity, connection):
    userfields = selectors.allowed_userfields(connection=connection)
    current = connection.config.get("opt_in_field") or "sms_opt_in"
    if current not in userfields:
        userfields = [current, *userfields]
    order = connection.config.get("phone_types") or ["mobile", "work", "home"]
    initial = {"opt_in_field": current, "create_users": bool(connection.config.get("create_users")),
               **{f"phone_{i + 1}": kind for i, kind in enumerate(order)}}
    form = SettingsForm(request.POST or None, initial=initial, userfields=userfields)
    if request.method == "POST" and form.is_valid():
        activation.settings_save(connection=connection, opt_in_field=form.cleaned_data["opt_in_field"],
                                 phone_types=form.phone_types(), create_users=form.cleaned_data["create_users"],
                                 actor=request.user)
        messages.success(request, "Settings saved.")
        return redirect("strive:settings", entity_slug=entity.slug)
    context = detail_context(request, entity, active_tab="settings", connection=connection)
    context.update(form=form, progress=selectors.sync_progress(connection=connection))
    return render(request, "strive/settings.html", context)


@entity_view(methods=("POST",))
@connection_required(kind=KIND, active=False)
def sync_toggle(request, entity, connection):
    if request.POST.get("sync_accounts") == "on":
        finished_before = selectors.initial_sync_done(connection=connection)
        try:
            activation.sync_activate(connection=connection, actor=request.user)
        except activation.ActivationError as exc:
            messages.error(request, str(exc))
            return redirect("strive:connect", entity_slug=entity.slug)
        except errors.ActionKitUnauthorized:
            messages.error(request, "ActionKit rejected the stored credentials. Connect again with the staff account.")
            return redirect("strive:connect", entity_slug=entity.slug)
        except errors.ActionKitError as exc:
            messages.error(request, f"Could not activate: {exc.message} Nothing changed; try again.")
            return redirect("strive:settings", entity_slug=entity.slug)
        messages.success(request, _activated_message(finished_before=finished_before,
                                                     finished_now=selectors.initial_sync_done(connection=connection)))
    else:
        activation.sync_deactivate(connection=connection, actor=request.user)
        # No flash message: the page's banner already says it is off, the credentials are gone and the data stays.
    return redirect("strive:settings", entity_slug=entity.slug)


def _activated_message(*, finished_before: bool, finished_now: bool) -> str:
    """Agrees with the progress card below it: a sync that already finished (earlier, or at once for a short list)
    is not said to have started."""
    if finished_before:
        return ("Sync Accounts is on again. The initial sync finished earlier; changes made while it was off are "
                "fetched now, then every 10 minutes.")
    if finished_now:
        return "Sync Accounts is on, and the initial sync of your ActionKit users has already finished."
    return ("Sync Accounts is on. The initial sync of your ActionKit users has started; its progress shows below, "
            "and a large list takes a while.")
