"""The frame every kind's details pages share: breadcrumbs and tabs, read from the registered Kind.

The page's kind is the one whose URL namespace the request resolved in (Kind.namespaces), so a template names
only its own tab: `{% load kinds %}{% kind_breadcrumbs %}{% kind_tabs "settings" %}`. Both read `entity` from the
context; the tabs also read `connection`, since some show only while it is active.
"""

from django import template
from django.urls import reverse

from integrations import registry

register = template.Library()


def _page_kind(context) -> registry.Kind:
    match = context["request"].resolver_match
    kind = registry.kind_for_namespace(match.namespace) if match else None
    if kind is None:
        raise template.TemplateSyntaxError(f"No registered kind has pages under the URL namespace {match.namespace!r}.")
    return kind


@register.inclusion_tag("integrations/_kind_breadcrumbs.html", takes_context=True)
def kind_breadcrumbs(context) -> dict:
    return {"kind": _page_kind(context), "entity": context["entity"]}


@register.inclusion_tag("integrations/_kind_tabs.html", takes_context=True)
def kind_tabs(context, active: str) -> dict:
    kind, entity, connection = _page_kind(context), context["entity"], context.get("connection")
    live = connection is not None and connection.is_active
    tabs = [{"label": tab.label, "url": reverse(tab.url_name, kwargs={"entity_slug": entity.slug}),
             "active": tab.slug == active} for tab in kind.tabs if live or not tab.needs_active_connection]
    return {"kind": kind, "tabs": tabs}
