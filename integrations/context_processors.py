from integrations import registry
from integrations.selectors import entity_list_for_user


def current_entity(request):
    """The entity switcher: every entity the user belongs to, and the one in the URL when there is one."""
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("entity_slug") if match else None
    user = getattr(request, "user", None)
    entities = list(entity_list_for_user(user=user)) if user is not None else []
    current = next((entity for entity in entities if entity.slug == slug), None)
    return {"user_entities": entities, "current_entity": current}


def kind_nav(request):
    """Every registered kind's links for the top navigation (templates/base.html), reversed there per entity."""
    return {"kind_nav": registry.nav_links()}
