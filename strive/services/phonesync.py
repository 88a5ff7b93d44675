"""Phones read by the poll are kept on the user's ScannedUser row, so the user pass needs no request per user.

When a phone arrives for a user we already read (its snapshot is stored), that user is synced again from the
snapshot: a phone added after the user's last change still makes the user eligible.
"""

from strive.models import ScannedUser
from strive.phones import phone_pick
from strive.services.config import sync_settings
from strive.services.sync import users_sync_batch
from strive.services.upserts import scanned_user_phones_upsert


def phones_ingest(*, connection, phones: list[dict]) -> int:
    by_user: dict[int, dict[str, list[str]]] = {}
    for phone in phones:
        if phone.get("user_id"):
            by_user.setdefault(int(phone["user_id"]), {})[str(phone["id"])] = [
                phone.get("type") or "", phone.get("phone") or phone.get("normalized_phone") or ""]
    stored = {user_id: (known or {}, snapshot, updated_at) for user_id, known, snapshot, updated_at in
              ScannedUser.objects.filter(connection=connection, ak_user_id__in=list(by_user))
              .values_list("ak_user_id", "phones", "snapshot", "ak_updated_at")}
    order = sync_settings(connection).phone_types
    merged, resync = {}, []
    for user_id, found in by_user.items():
        known, snapshot, updated_at = stored.get(user_id, ({}, None, None))
        merged[user_id] = {**known, **found}
        # Only a user already read can need a resync; in a first sync none is, and no number is parsed here.
        if snapshot and phone_pick(_as_list(merged[user_id]), order) != phone_pick(_as_list(known), order):
            resync.append(_user_from_snapshot(user_id, snapshot, updated_at))
    scanned_user_phones_upsert(connection_id=connection.pk, phones=merged)
    if resync:
        users_sync_batch(connection=connection, users=resync)
    return len(merged)


def _as_list(phones: dict) -> list[dict]:
    return [{"type": kind, "phone": number} for kind, number in (phones or {}).values()]


def _user_from_snapshot(user_id: int, snapshot: dict, updated_at) -> dict:
    return {"id": user_id, **snapshot, "updated_at": updated_at.isoformat() if updated_at else None}
