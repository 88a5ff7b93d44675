from django.contrib import messages
from django.shortcuts import render

from integrations.decorators import connection_required
from strive.kind import KIND
from strive.views.detail import detail_context


def not_connected(request, entity):
    """Explain how to connect, on the tab itself, instead of sending the user elsewhere."""
    return render(request, "strive/activity/not_connected.html", {"entity": entity})


# Every activity tab: the entity's member-sync connection, in whatever state it is; without one, the explanation.
with_connection = connection_required(kind=KIND, active=False, otherwise=not_connected)


def context(request, entity, connection, tab: str, **extra) -> dict:
    """The integration details page's frame (its tabs include ours, see strive/kind.py) plus this tab's own keys."""
    return {**detail_context(request, entity, active_tab=tab, connection=connection), "tab": tab, **extra}


def sync_button(request, action: str, noun: str, *, sync: tuple, unsync: tuple) -> None:
    """The Sync and Unsync buttons of the Pages and Usergroups tabs; `sync` and `unsync` are (service, message)."""
    if action not in ("sync", "unsync"):
        messages.error(request, f"Unknown {noun} action.")
        return
    service, message = sync if action == "sync" else unsync
    service(actor=request.user)
    messages.success(request, message)
