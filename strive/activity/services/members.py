"""The seam to the member sync (strive.services, owned by the members side): ActionKit user id -> member id.

An action's user is looked up through MemberLink first (one query per batch). A user we have not linked yet goes
through the member sync, which creates the member only when the user has a phone and an opt-in value; otherwise
the answer is None and the action is kept without a member.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from actionkit.errors import ActionKitNotFound
from integrations.models import Connection
from strive.models import MemberLink, ScannedUser
from strive.services.sync import users_sync_batch


def _links(*, connection: Connection, ak_user_ids: Iterable[int]) -> dict[int, int]:
    rows = MemberLink.objects.filter(connection=connection, ak_user_id__in=list(ak_user_ids))
    return dict(rows.values_list("ak_user_id", "member_id"))


def _sync_unlinked(*, connection: Connection, ak_user_ids: list[int], client) -> dict[int, int | None]:
    """Read each user and its phones from ActionKit, then let the member sync decide eligibility in one batch."""
    users, phones = [], {}
    for ak_user_id in ak_user_ids:
        try:
            users.append(client.user_get(ak_user_id))
        except ActionKitNotFound:
            continue  # Deleted (or erased) since the action: nobody to add.
        phones[ak_user_id] = client.user_phones(ak_user_id)
    if not users:
        return dict.fromkeys(ak_user_ids)
    with transaction.atomic():
        result = users_sync_batch(connection=connection, users=users, phones=phones)
    return {uid: result.member_ids.get(uid) for uid in ak_user_ids}


def _judged_since(*, connection: Connection, acted_at: dict[int, datetime | None]) -> dict[int, None]:
    """Users the member sync already found ineligible after they acted: reading them again would change nothing."""
    rows = ScannedUser.objects.filter(connection=connection, ak_user_id__in=list(acted_at), member__isnull=True)
    return {uid: None for uid, scanned_at in rows.values_list("ak_user_id", "scanned_at")
            if acted_at[uid] is not None and scanned_at >= acted_at[uid]}


def members_for_ak_users(*, connection: Connection, ak_user_ids: Iterable[int], client,
                         cache: dict[int, int | None] | None = None,
                         acted_at: dict[int, datetime | None] | None = None) -> dict[int, int | None]:
    """Map each user id to a member id (or None when the user is not eligible). `cache` spans one poll run;
    `acted_at` (user id -> latest action time) lets users judged ineligible since then skip the ActionKit reads."""
    cache = {} if cache is None else cache
    wanted = {int(u) for u in ak_user_ids} - set(cache)
    if wanted:
        cache.update(_links(connection=connection, ak_user_ids=wanted))
    if acted_at and wanted - set(cache):
        cache.update(_judged_since(connection=connection, acted_at={u: acted_at.get(u) for u in wanted - set(cache)}))
    unlinked = sorted(wanted - set(cache))
    if unlinked:
        cache.update(_sync_unlinked(connection=connection, ak_user_ids=unlinked, client=client))
    return cache
