from django.contrib import messages
from django.shortcuts import redirect, render

from actionkit import errors
from actionkit.factory import client_for_credentials
from integrations.decorators import entity_view
from strive.forms import ConnectForm
from strive.services.activation import strive_connect
from strive.services.config import connection_for_entity


@entity_view()
def connect(request, entity):
    connection = connection_for_entity(entity)
    initial = {"host": connection.host, "username": connection.config.get("username", "")} if connection else {}
    form = ConnectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problem = _verify(data["host"], data["username"], data["password"])
        if problem:
            form.add_error(None, problem)  # Nothing is saved until ActionKit accepts the credentials.
        else:
            strive_connect(entity=entity, host=data["host"].strip(), username=data["username"].strip(),
                           password=data["password"], actor=request.user)
            messages.success(request, "Connected to ActionKit. Review the field sync options, then activate the "
                                      "integration in Settings.")
            return redirect("strive:fields", entity_slug=entity.slug)
    return render(request, "strive/connect.html", {"entity": entity, "form": form, "connection": connection})


def _verify(host: str, username: str, password: str) -> str:
    try:
        client = client_for_credentials(host=host.strip(), username=username.strip(), password=password)
    except errors.UnsafeHostError as exc:
        return f"That hostname cannot be used: {exc.message}"
    try:
        client.verify_credentials()
    except errors.ActionKitUnauthorized:
        return "ActionKit rejected that username or password. Check the staff account's credentials."
    except errors.ActionKitRedirect:
        return "ActionKit answered with a redirect: check the hostname (use the root domain of your instance)."
    except (errors.ActionKitTransient, errors.ActionKitTimeout):
        return "Could not reach ActionKit at that hostname. Check it and try again."
    except errors.ActionKitError as exc:
        return f"ActionKit did not accept the connection: {exc.message}"
    finally:
        client.close()
    return ""
