from functools import wraps

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect

from integrations.selectors import entity_get_for_user


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
