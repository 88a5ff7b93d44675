"""Create Users and member pushes: queued for an immediate send when the change commits, never sent with an empty
email, and a push that failed for good reads as failed on the member pages, with a Retry that sends it again."""

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config.celery import Queues, app
from integrations.models import AuditEvent, Delivery
from integrations.services import outcomes
from strive.models import Group, Member, MemberLink, ScannedUser
from strive.services.activation import settings_save, sync_activate
from strive.services.groups import group_add_member
from strive.services.members import MemberInput, member_update, member_upsert
from tests.strive.conftest import ak_get_user

pytestmark = pytest.mark.django_db(transaction=True)


def _create_users_on(connection, cast) -> Group:
    settings_save(connection=connection, opt_in_field="sms_opt_in", phone_types=["mobile", "work", "home"],
                  create_users=True, actor=cast.alice)
    sync_activate(connection=connection, actor=cast.alice)
    return Group.objects.get(entity=cast.entity_a, kind=Group.Kind.PRIMARY)


def _new_member(cast, phone="312-555-0150", email="new@example.org") -> Member:
    member, _ = member_upsert(entity=cast.entity_a, data=MemberInput(phone=phone, email=email, first_name="Nia",
                                                                     sms_opt_in="opted_in"))
    return member


def _member_url(cast, member, name="strive:member", **kw) -> str:
    return reverse(name, kwargs={"entity_slug": cast.entity_a.slug, "member_id": member.pk, **kw})


def test_create_users_push_is_due_now_and_its_send_is_queued_on_commit(members_connection, cast, monkeypatch):
    primary = _create_users_on(members_connection, cast)
    member = _new_member(cast)
    turns = []
    monkeypatch.setattr(outcomes.deliveries_schedule_task, "apply_async", lambda *args, **kw: turns.append(kw))
    with transaction.atomic():
        group_add_member(group=primary, member=member, actor=cast.alice)
        delivery = Delivery.objects.get(source_id=member.pk, event_type="member.create")
        assert turns == []  # Not before the commit: the worker would not find the row yet.
    assert turns == [{"countdown": None}]  # At the commit, a live scheduler turn with no delay.
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0 and delivery.depends_on_id is None
    assert delivery.next_attempt_at <= timezone.now() and delivery.enqueued_at is not None
    assert delivery.lane == Delivery.Lane.LIVE
    # The turn goes to the live queue, not behind the polls of the initial sync or a backfill.
    assert app.amqp.router.route({}, "integrations.deliveries_schedule")["queue"].name == Queues.LIVE


def test_create_users_sends_at_once_and_the_next_edit_carries_the_users_email(members_connection, sandbox, cast):
    primary = _create_users_on(members_connection, cast)
    member = _new_member(cast)
    group_add_member(group=primary, member=member, actor=cast.alice)  # Eager Celery: sent at the commit.
    created = Delivery.objects.get(source_id=member.pk, event_type="member.create")
    assert created.status == "succeeded" and (created.delivered_at - created.created_at).total_seconds() < 5
    link = MemberLink.objects.get(member=member)
    assert not ScannedUser.objects.filter(ak_user_id=link.ak_user_id).exists()  # No poll has seen the new user yet.

    member_update(member=member, changes={"sms_opt_in": "opted_out"}, actor=cast.alice)
    push = Delivery.objects.get(source_id=member.pk, event_type="member.update")
    assert push.payload["email"] == "new@example.org"  # Not "": ActionKit refuses that with "Enter a valid email".
    assert push.status == "succeeded" and push.attempts == 1
    assert ak_get_user(sandbox, link.ak_user_id)["fields"]["sms_opt_in"] == "false"
    page = cast.client_for(cast.alice).get(_member_url(cast, member)).content.decode()
    assert f"Synced with ActionKit user {link.ak_user_id}" in page and "Retry" not in page


def test_a_row_queued_with_an_empty_email_is_sent_with_the_users_own(members_connection, sandbox, cast):
    """Rows queued before the fix (or a link without an email) find the user by id instead of sending ""."""
    primary = _create_users_on(members_connection, cast)
    member = _new_member(cast)
    group_add_member(group=primary, member=member, actor=cast.alice)
    link = MemberLink.objects.get(member=member)
    MemberLink.objects.filter(pk=link.pk).update(ak_email="")
    member_update(member=member, changes={"sms_opt_in": "opted_out"}, actor=cast.alice)
    push = Delivery.objects.get(source_id=member.pk, event_type="member.update")
    assert push.payload["email"] == ""
    assert push.status == "succeeded" and [a.outcome for a in push.attempt_set.all()] == ["success"]
    assert ak_get_user(sandbox, link.ak_user_id)["fields"]["sms_opt_in"] == "false"


def test_a_push_that_failed_for_good_shows_on_the_pages_and_retry_sends_it(members_connection, sandbox, cast, settings):
    primary = _create_users_on(members_connection, cast)
    member = _new_member(cast)
    group_add_member(group=primary, member=member, actor=cast.alice)
    link = MemberLink.objects.get(member=member)
    settings.DELIVERY_MAX_ATTEMPTS = 1
    sandbox.inject("500")
    member_update(member=member, changes={"sms_opt_in": "opted_out"}, actor=cast.alice)
    push = Delivery.objects.get(source_id=member.pk, event_type="member.update")
    assert push.status == "dead"

    client = cast.client_for(cast.alice)
    page = client.get(_member_url(cast, member)).content.decode()
    assert "Not synced: sending to ActionKit failed." in page and "did not reach ActionKit" in page
    assert "Synced with ActionKit user" not in page
    retry_url = _member_url(cast, member, "strive:member-push-retry", delivery_id=push.pk)
    assert f'action="{retry_url}"' in page and 'name="csrfmiddlewaretoken"' in page
    listing = client.get(reverse("strive:members", kwargs={"entity_slug": cast.entity_a.slug})).content.decode()
    assert "Not synced: sending failed" in listing

    assert client.get(retry_url).status_code == 405  # POST only.
    # Another tenant's admin gets a 404 for the member, and for the row through their own entity's URL.
    charlie = cast.client_for(cast.charlie)
    assert charlie.post(retry_url).status_code == 404
    other_url = reverse("strive:member-push-retry", kwargs={"entity_slug": cast.entity_b.slug, "member_id": member.pk,
                                                            "delivery_id": push.pk})
    assert charlie.post(other_url).status_code == 404
    push.refresh_from_db()
    assert push.status == "dead" and not AuditEvent.objects.filter(action="delivery.retried").exists()

    response = client.post(retry_url)
    assert response.status_code == 302 and response["Location"] == _member_url(cast, member)
    push.refresh_from_db()
    assert push.status == "succeeded"
    assert ak_get_user(sandbox, link.ak_user_id)["fields"]["sms_opt_in"] == "false"
    event = AuditEvent.objects.get(action="delivery.retried")
    assert (event.entity_id, event.actor_id, event.target) == (cast.entity_a.pk, cast.alice.pk, push.key)
    page = client.get(_member_url(cast, member)).content.decode()
    assert "Not synced" not in page and f"Synced with ActionKit user {link.ak_user_id}" in page


def test_retry_of_a_row_left_with_an_empty_email_succeeds(members_connection, sandbox, cast):
    """The repro's row: the edit was queued with email "" and ActionKit refused it for good."""
    primary = _create_users_on(members_connection, cast)
    member = _new_member(cast)
    group_add_member(group=primary, member=member, actor=cast.alice)
    link = MemberLink.objects.get(member=member)
    payload = {"member_id": member.pk, "ak_user_id": link.ak_user_id, "email": "", "core": {},
               "user_fields": {"sms_opt_in": "false"}, "former_data": {"sms_opt_in": "true"}}
    push = Delivery.objects.create(connection=members_connection, key=f"strive:member:{member.pk}:legacy", source_id=member.pk,
                                   event_type="member.update", payload=payload, status=Delivery.Status.DEAD, attempts=1,
                                   last_status_code=400, last_error="ActionKit rejected the request. email: Enter a "
                                                                    "valid email address.")
    client = cast.client_for(cast.alice)
    page = client.get(_member_url(cast, member)).content.decode()
    assert "Enter a valid email address." in page and "Retry" in page
    client.post(_member_url(cast, member, "strive:member-push-retry", delivery_id=push.pk))
    push.refresh_from_db()
    assert push.status == "succeeded"
    assert ak_get_user(sandbox, link.ak_user_id)["fields"]["sms_opt_in"] == "false"


def test_an_edit_while_the_user_is_being_created_follows_the_create(members_connection, sandbox, cast, monkeypatch):
    """Before, an edit made before the create landed was dropped (no link yet) and ActionKit kept the old values."""
    from integrations.services.pump import deliveries_schedule

    primary = _create_users_on(members_connection, cast)
    member = _new_member(cast)
    turns = []
    monkeypatch.setattr(outcomes.deliveries_schedule_task, "apply_async", lambda *args, **kw: turns.append(kw))
    group_add_member(group=primary, member=member, actor=cast.alice)  # Queued, not sent: the worker is busy.
    member_update(member=member, changes={"sms_opt_in": "opted_out", "email": "changed@example.org"}, actor=cast.alice)
    create = Delivery.objects.get(source_id=member.pk, event_type="member.create")
    edit = Delivery.objects.get(source_id=member.pk, event_type="member.update")
    assert turns and edit.depends_on_id == create.pk
    assert edit.payload["email"] == "new@example.org"  # The key the user is created with, not the new one.
    assert edit.payload["user_fields"]["sms_opt_in"] == "false"
    assert not sandbox.users(email="new@example.org")

    for _ in range(3):  # The turn sends the create; the edit goes once the create has succeeded.
        deliveries_schedule(seconds=2)
        Delivery.objects.filter(pk=edit.pk, status="pending").update(next_attempt_at=timezone.now())
    create.refresh_from_db()
    edit.refresh_from_db()
    assert (create.status, edit.status) == ("succeeded", "succeeded")
    assert edit.attempts == 1 and create.delivered_at <= edit.delivered_at
    user = sandbox.users(email="new@example.org")[0]
    assert ak_get_user(sandbox, user["id"])["fields"]["sms_opt_in"] == "false"
    assert MemberLink.objects.get(member=member).ak_user_id == user["id"]


def test_a_push_leaves_the_threads_client_open_so_the_next_one_reuses_its_connection(members_connection, sandbox, cast):
    from actionkit import factory
    from strive.sender import member_send

    primary = _create_users_on(members_connection, cast)
    member = _new_member(cast)
    group_add_member(group=primary, member=member, actor=cast.alice)
    member_update(member=member, changes={"sms_opt_in": "opted_out"}, actor=cast.alice)
    push = Delivery.objects.get(source_id=member.pk, event_type="member.update")
    members_connection.refresh_from_db()  # Activation saved its config after the fixture loaded it.
    client = factory.client_for(members_connection)

    def pool():
        pools = client.session.get_adapter(client.base_url).poolmanager.pools
        [only] = [pools[key] for key in pools.keys()]
        return only

    outcome = member_send(members_connection, push)
    assert outcome.kind == "success", outcome.detail
    first = pool()
    assert member_send(members_connection, push).kind == "success"
    assert factory.client_for(members_connection) is client
    # Closing the client after a push would drop this pool and open a new socket for the next push.
    assert pool() is first and first.num_connections == 1
