from functools import wraps

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect

from integrations import registry
from integrations.selectors import connection_get, entity_get_for_user


def entity_view(perm: str = "integrations", methods: tuple[str, ...] = ("GET", "POST"), mfa_exempt: bool = False):
    """Resolve the entity from the URL before anything else, so outsiders get a 404 whatever the method.

    The view is called as view(request, entity, *args, **kwargs); request.membership holds the user's membership.
    Anonymous users are sent to the login page. When the entity requires two-factor authentication, members
    without an authenticator app are sent to set one up (mfa_exempt views, such as leaving, are not).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, entity_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            entity, membership = entity_get_for_user(user=request.user, slug=entity_slug, perm=perm)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            if entity.require_mfa and not mfa_exempt and not is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
                messages.warning(request, f"{entity.name} requires two-factor authentication. Set up an authenticator "
                                          "app to continue.")
                return redirect("mfa_activate_totp")
            request.membership = membership
            return view(request, entity, *args, **kwargs)

        return wrapper

    return decorator


def connection_required(*, kind: str, active: bool = True, otherwise=None):
    """Pass the entity's connection of `kind` to the view, called as view(request, entity, connection, ...).

    Goes under `entity_view`, so an outsider still gets the 404 first. With no connection, or a disconnected one
    when `active`, the view is not called and `otherwise(request, entity)` answers; by default the user is told
    and sent to the kind's details page (to its connect page when the details page is the one guarded).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, entity, *args, **kwargs):
            connection = connection_get(entity=entity, kind=kind)
            if connection is None or (active and not connection.is_active):
                return (otherwise or _not_connected(registry.get_kind(kind)))(request, entity)
            return view(request, entity, connection, *args, **kwargs)

        return wrapper

    return decorator


def _not_connected(kind: registry.Kind):
    def answer(request, entity):
        messages.error(request, f"{kind.title} is not connected. Connect it first.")
        here = request.resolver_match.view_name if request.resolver_match else ""
        return redirect(kind.connect_url if here == kind.detail_url else kind.detail_url, entity_slug=entity.slug)

    return answer
