"""The Users tab: every ActionKit user the sync scanned, with its status; searchable, sortable, paginated."""

from django.core.paginator import Paginator
from django.shortcuts import render

from integrations.decorators import connection_required, entity_view
from strive import selectors
from strive.kind import KIND
from strive.models import ScannedUser
from strive.views.detail import detail_context

PAGE_SIZE = 50


@entity_view(methods=("GET",))
@connection_required(kind=KIND, active=False)
def users_tab(request, entity, connection):
    q, status, sort = request.GET.get("q", ""), request.GET.get("status", ""), request.GET.get("sort", "id")
    rows = selectors.scanned_user_search(connection=connection, q=q, status=status, sort=sort)
    page = Paginator(rows.select_related("member"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = detail_context(request, entity, active_tab="users", connection=connection)
    context.update(page=page, q=q, status=status, sort=sort, statuses=ScannedUser.Status.choices[1:],
                   columns=[("id", "ActionKit user"), ("email", "Email"), ("name", "Name"), ("phone", "Phone"),
                            ("status", "Sync status"), ("scanned", "Scanned")])
    return render(request, "strive/users.html", context)
