"""The Groups page moved to the members side (strive:groups); its old address stays as a permanent redirect."""

from django.http import HttpResponsePermanentRedirect
from django.urls import reverse

from integrations.decorators import entity_view


@entity_view(perm="member")
def groups_moved(request, entity):
    """301 for a GET, and 308 for a POST from a tab opened before the move, so its "+New group" form still works.

    Scoped like the page itself: outsiders get a 404 here rather than a redirect that confirms the entity exists.
    """
    target = reverse("strive:groups", kwargs={"entity_slug": entity.slug})
    query = request.META.get("QUERY_STRING")
    response = HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
    if request.method == "POST":
        response.status_code = 308
    return response
