from functools import wraps

from django.shortcuts import render

from strive.activity.selectors import connection_for
from strive.views.detail import detail_context

TABS = (
    ("pages", "Pages"),
    ("actions", "Actions"),
    ("actionfield-groups", "ActionField Groups"),
    ("usergroups", "Usergroups"),
    ("outbox", "Outbox"),
    ("webhook", "Webhook & polls"),
)


def with_connection(view):
    """Pass the entity's ActionKit connection; without one, explain how to connect instead of failing."""

    @wraps(view)
    def wrapper(request, entity, *args, **kwargs):
        connection = connection_for(entity=entity)
        if connection is None:
            return render(request, "strive/activity/not_connected.html", {"entity": entity, "tabs": TABS})
        return view(request, entity, connection, *args, **kwargs)

    return wrapper


def context(request, entity, connection, tab: str, **extra) -> dict:
    """The integration details page's frame (its tabs include ours, see apps.py) plus this tab's own keys."""
    return {**detail_context(request, entity, active_tab=tab, connection=connection), "tab": tab, **extra}
