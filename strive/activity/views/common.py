from functools import wraps

from django.shortcuts import render

from strive.activity.selectors import connection_for

TABS = (
    ("pages", "Pages"),
    ("actions", "Actions"),
    ("actionfield-groups", "ActionField Groups"),
    ("usergroups", "Usergroups"),
    ("outbox", "Outbox"),
    ("settings", "Webhook & polls"),
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


def context(entity, connection, tab: str, **extra) -> dict:
    return {"entity": entity, "connection": connection, "tabs": TABS, "tab": tab, **extra}
