"""The seam to the member sync (strive.services, owned by the members side): ActionKit user id -> member id.

An action's user is looked up through MemberLink first (one query per batch). A user we have not linked yet goes
through the member sync, which creates the member only when the user has a phone and an opt-in value; otherwise
the answer is None and the action is kept without a member.
"""

from collections.abc import Iterable

from integrations.models import Connection


def _links(*, connection: Connection, ak_user_ids: Iterable[int]) -> dict[int, int]:
    from strive.models import MemberLink

    rows = MemberLink.objects.filter(connection=connection, ak_user_id__in=list(ak_user_ids))
    return dict(rows.values_list("ak_user_id", "member_id"))


def _sync_one(*, connection: Connection, ak_user_id: int, client) -> int | None:
    from strive.services.users import member_sync_from_ak_user

    member = member_sync_from_ak_user(connection=connection, ak_user_id=ak_user_id, client=client)
    return getattr(member, "pk", None)


def members_for_ak_users(*, connection: Connection, ak_user_ids: Iterable[int], client,
                         cache: dict[int, int | None] | None = None) -> dict[int, int | None]:
    """Map each user id to a member id (or None when the user is not eligible). `cache` spans one poll run."""
    cache = {} if cache is None else cache
    wanted = {int(u) for u in ak_user_ids} - set(cache)
    if wanted:
        cache.update(_links(connection=connection, ak_user_ids=wanted))
    for ak_user_id in sorted(wanted - set(cache)):
        cache[ak_user_id] = _sync_one(connection=connection, ak_user_id=ak_user_id, client=client)
    return cache
