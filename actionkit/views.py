"""Pages every ActionKit kind's details page shares; each kind mounts them through actionkit.routes."""

from django.contrib import messages
from django.shortcuts import redirect

from actionkit.compat import recheck_sentence
from actionkit.services import compat_check
from integrations.decorators import connection_required, entity_view
from integrations.registry import get_kind


def compat_check_view_for(*, kind: str):
    """The compatibility card's "Check again" button of `kind`: run the check now, then back to its details page."""

    @entity_view(methods=("POST",))
    @connection_required(kind=kind)
    def compat_check_view(request, entity, connection):
        messages.success(request, recheck_sentence(compat_check(connection_id=connection.pk)))
        return redirect(get_kind(kind).detail_url, entity_slug=entity.slug)

    return compat_check_view
