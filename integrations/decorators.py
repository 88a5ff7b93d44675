from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseNotAllowed

from integrations.selectors import entity_get_for_user


def entity_view(perm: str = "integrations", methods: tuple[str, ...] = ("GET", "POST")):
    """Resolve the entity from the URL before anything else, so outsiders get a 404 whatever the method.

    The view is called as view(request, entity, *args, **kwargs); request.membership holds the user's membership.
    Anonymous users are sent to the login page.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, entity_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            entity, membership = entity_get_for_user(user=request.user, slug=entity_slug, perm=perm)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            request.membership = membership
            return view(request, entity, *args, **kwargs)

        return wrapper

    return decorator
