"""Phones read by the poll are kept on the user's ScannedUser row, so the user pass needs no request per user.

When a phone arrives for a user we already read (its snapshot is stored), that user is synced again from the
snapshot: a phone added after the user's last change still makes the user eligible.
"""

from strive.models import ScannedUser
from strive.phones import phone_pick
from strive.services.config import sync_settings
from strive.services.upserts import scanned_users_upsert


def phones_ingest(*, connection, phones: list[dict]) -> int:
    from strive.services.sync import users_sync_batch

    by_user: dict[int, dict[str, list[str]]] = {}
    for phone in phones:
        if phone.get("user_id"):
            by_user.setdefault(int(phone["user_id"]), {})[str(phone["id"])] = [
                phone.get("type") or "", phone.get("phone") or phone.get("normalized_phone") or ""]
    rows = {r.ak_user_id: r for r in ScannedUser.objects.filter(connection=connection, ak_user_id__in=list(by_user))}
    order = sync_settings(connection).phone_types
    resync, touched = [], []
    for user_id, found in by_user.items():
        row = rows.get(user_id) or ScannedUser(connection=connection, ak_user_id=user_id, phones={})
        before = phone_pick(_as_list(row.phones), order)
        row.phones = {**(row.phones or {}), **found}
        touched.append(row)
        if row.snapshot and phone_pick(_as_list(row.phones), order) != before:
            resync.append(row)
    scanned_users_upsert(touched, only_phones=True)
    if resync:
        users_sync_batch(connection=connection, users=[_user_from_snapshot(r) for r in resync])
    return len(touched)


def _as_list(phones: dict) -> list[dict]:
    return [{"type": kind, "phone": number} for kind, number in (phones or {}).values()]


def _user_from_snapshot(row: ScannedUser) -> dict:
    return {"id": row.ak_user_id, **row.snapshot, "updated_at": row.ak_updated_at.isoformat() if row.ak_updated_at else None}
