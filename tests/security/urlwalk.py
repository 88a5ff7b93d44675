"""Every URL pattern of the project, flattened: (route, qualified name, view callable)."""

from django.urls import URLResolver, get_resolver


def all_patterns(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, route, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        else:
            yield route, namespace + (entry.name or ""), entry.callback
