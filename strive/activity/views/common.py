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
