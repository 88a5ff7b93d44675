"""The routes every ActionKit kind mounts under e/<entity_slug>/<app>/: its connect page, its details page and the
details page's compatibility re-check. The names are the ones the registry's Kind and the templates reverse."""

from django.urls import URLPattern, path

from actionkit.views import compat_check_view_for


def connection_routes(*, kind: str, connect, detail) -> list[URLPattern]:
    return [
        path("connect/", connect, name="connect"),
        path("details/", detail, name="detail"),
        path("details/check/", compat_check_view_for(kind=kind), name="compat-check"),
    ]
