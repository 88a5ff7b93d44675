from django.contrib import messages
from django.shortcuts import redirect, render

from actionkit.verify import ConnectError, connection_check
from integrations.decorators import entity_view
from strive.forms import ConnectForm
from strive.kind import KIND
from strive.services.activation import strive_connect
from strive.services.config import connection_for_entity, sync_settings


@entity_view()
def connect(request, entity):
    connection = connection_for_entity(entity)
    initial = {"host": connection.host, "username": connection.config.get("username", "")} if connection else {}
    form = ConnectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:  # Nothing is saved until ActionKit accepts the credentials; the same check as the contributions form.
            host, compat = connection_check(kind=KIND, host=data["host"], username=data["username"].strip(),
                                            password=data["password"], config=connection.config if connection else {})
        except ConnectError as exc:
            form.add_error(exc.field, exc.message)
        else:
            connection = strive_connect(entity=entity, host=host, username=data["username"].strip(),
                                        password=data["password"], actor=request.user, compat=compat)
            if sync_settings(connection).active:  # Reconnected after a halt: Sync Accounts stayed on.
                messages.success(request, "Reconnected to ActionKit. Sync Accounts is still on: syncing resumes where it "
                                          "stopped at the next poll, within 10 minutes.")
                return redirect("strive:detail", entity_slug=entity.slug)
            messages.success(request, "Connected to ActionKit. Review the field sync options, then activate the "
                                      "integration in Settings.")
            return redirect("strive:fields", entity_slug=entity.slug)
    return render(request, "strive/connect.html", {"entity": entity, "form": form, "connection": connection})
