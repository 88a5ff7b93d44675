"""End to end through a real Celery worker against the sandbox with 10,000 users: the initial sync, changes on each
side, conflicts, and no echo loops."""

import sqlite3

import pytest
from django.utils import timezone

from integrations.models import Delivery, SyncCursor
from strive.models import FieldMapping, Member, MemberLink, ScannedUser
from strive.phones import phone_to_e164
from strive.services.activation import settings_save, strive_connect, sync_activate
from strive.services.members import MemberInput, member_update, member_upsert
from tests.plugins.worker import wait_until
from tests.strive.conftest import ak_get_user, ak_patch_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

USERS = 10_000
REASONS = ("No valid phone number", "No opt-in value", "Duplicate phone")


def _opted_in_mobile_users(sandbox, limit: int) -> list[tuple[int, str]]:
    """Seeded users whose only mobile number is valid and unique and whose opt-in is "yes"."""
    with sqlite3.connect(sandbox.db_path) as db:
        rows = db.execute(
            "SELECT p.user_id, p.phone FROM phone p JOIN userfield f ON f.user_id = p.user_id AND f.name = 'sms_opt_in' "
            "WHERE p.type = 'mobile' AND f.value = 'yes' AND p.normalized_phone IN "
            "(SELECT normalized_phone FROM phone GROUP BY normalized_phone HAVING COUNT(*) = 1) ORDER BY p.user_id").fetchall()
    return [(uid, phone) for uid, phone in rows if phone_to_e164(phone)][:limit]


def _initial_done(connection) -> bool:
    cursor = SyncCursor.objects.filter(connection=connection, stream="users").first()
    return bool(cursor and cursor.state.get("initial_done"))


def test_ten_thousand_users_two_way_through_a_worker(cast, sandbox, celery_worker):
    sandbox.seed(users=USERS)
    picks = _opted_in_mobile_users(sandbox, 12)
    conflict_ids = [uid for uid, _ in picks[:3]]
    for _, phone in picks[:3]:  # Members we already had, who opted out: on the first sync their value wins.
        member_upsert(entity=cast.entity_a, data=MemberInput(phone=phone, sms_opt_in="opted_out", source="csv"))
    celery_worker(queues="live,housekeeping,polls", concurrency=2, env={"ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE": "0"})
    connection = strive_connect(entity=cast.entity_a, host=sandbox.host, username=sandbox.username,
                                password=sandbox.password, actor=cast.alice)
    FieldMapping.objects.filter(connection=connection, member_field="first_name").update(sync_option="two_way")
    settings_save(connection=connection, opt_in_field="sms_opt_in", phone_types=["mobile", "work", "home"],
                  create_users=False, actor=cast.alice)
    sync_activate(connection=connection, actor=cast.alice)
    wait_until(lambda: _initial_done(connection), timeout=600, message="the initial sync of 10,000 users")

    scanned = ScannedUser.objects.filter(connection=connection).exclude(status="pending")
    assert scanned.count() == USERS
    synced = scanned.filter(status="synced").count()
    assert synced > 1000 and MemberLink.objects.filter(connection=connection).count() == synced
    assert all(r.startswith(REASONS) for r in scanned.filter(status="skipped").values_list("reason", flat=True))
    assert not scanned.filter(status="error").exists()
    wait_until(lambda: not Delivery.objects.filter(connection=connection).exclude(status="succeeded").exists(),
               timeout=120, message="the write-backs to be delivered")
    for uid in conflict_ids:
        assert ak_get_user(sandbox, uid)["fields"]["sms_opt_in"] == "false"
        assert MemberLink.objects.get(connection=connection, ak_user_id=uid).member.sms_opt_in == "opted_out"

    # Changes on each side, and conflicts: both sides changed the same field since the last sync (our change saved
    # without its push yet, as when ActionKit is briefly down); with two-way, the later change wins.
    ak_side, our_side, both, both_ours = picks[3:6], picks[6:9], picks[9], picks[10]
    members = {uid: MemberLink.objects.get(connection=connection, ak_user_id=uid).member for uid, _ in picks[3:]}
    for uid, _ in our_side:
        member_update(member=members[uid], changes={"first_name": f"Ours{uid}", "sms_opt_in": "opted_out"})
    for uid, _ in ak_side:
        ak_patch_user(sandbox, uid, first_name=f"Theirs{uid}", fields={"sms_opt_in": "no"})
    Member.objects.filter(pk=members[both[0]].pk).update(first_name="OursEarlier", updated_at=timezone.now())
    ak_patch_user(sandbox, both[0], first_name="TheirsLater")
    ak_patch_user(sandbox, both_ours[0], first_name="TheirsEarlier")
    Member.objects.filter(pk=members[both_ours[0]].pk).update(first_name="OursLater", updated_at=timezone.now())
    pushes_before_poll = Delivery.objects.filter(connection=connection).count()

    from strive.tasks import poll_all

    poll_all.delay()
    wait_until(lambda: all(Member.objects.get(pk=members[uid].pk).first_name == f"Theirs{uid}" for uid, _ in ak_side),
               timeout=120, message="ActionKit's changes to reach the members")
    wait_until(lambda: Member.objects.get(pk=members[both[0]].pk).first_name == "TheirsLater", timeout=60,
               message="the later ActionKit change to win the conflict")
    for uid, _ in ak_side:
        assert Member.objects.get(pk=members[uid].pk).sms_opt_in == "opted_out"
    wait_until(lambda: not Delivery.objects.filter(connection=connection).exclude(status="succeeded").exists(),
               timeout=60, message="our changes to be delivered")
    for uid, _ in our_side:
        user = ak_get_user(sandbox, uid)
        assert (user["first_name"], user["fields"]["sms_opt_in"]) == (f"Ours{uid}", "false")
    assert ak_get_user(sandbox, both[0])["first_name"] == "TheirsLater"
    wait_until(lambda: ak_get_user(sandbox, both_ours[0])["first_name"] == "OursLater", timeout=60,
               message="our later change to win its conflict and reach ActionKit")
    assert Member.objects.get(pk=members[both_ours[0]].pk).first_name == "OursLater"

    # Reading our own writes back changes nothing and sends nothing (no echo loop).
    pushes = Delivery.objects.filter(connection=connection).count()
    assert pushes >= pushes_before_poll
    before = SyncCursor.objects.get(connection=connection, stream="users").last_run_finished_at
    poll_all.delay()
    wait_until(lambda: SyncCursor.objects.get(connection=connection, stream="users").last_run_finished_at != before,
               timeout=60, message="another poll")
    assert Delivery.objects.filter(connection=connection).count() == pushes
    for uid, _ in our_side:
        assert Member.objects.get(pk=members[uid].pk).first_name == f"Ours{uid}"
