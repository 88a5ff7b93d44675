"""Leaving an organization and removing members; an organization always keeps an admin."""

import pytest
from django.urls import reverse

from integrations.models import AuditEvent, Membership
from integrations.services.accounts import AccountError, membership_leave, membership_remove


def _membership(cast, user):
    return Membership.objects.get(user=user, entity=cast.entity_a)


def test_a_member_leaves(cast):
    membership_leave(membership=_membership(cast, cast.bob))
    assert not Membership.objects.filter(user=cast.bob, entity=cast.entity_a).exists()
    assert AuditEvent.objects.filter(entity=cast.entity_a, action="membership.left", actor=cast.bob).exists()


def test_the_last_admin_cannot_leave_or_be_removed(cast):
    with pytest.raises(AccountError, match="only admin"):
        membership_leave(membership=_membership(cast, cast.alice))
    with pytest.raises(AccountError, match="only admin"):
        membership_remove(membership=_membership(cast, cast.alice), actor=cast.alice)
    assert _membership(cast, cast.alice).role == Membership.Role.ADMIN


def test_an_admin_may_leave_when_another_remains(cast):
    Membership.objects.filter(user=cast.carol, entity=cast.entity_a).update(role=Membership.Role.ADMIN)
    membership_leave(membership=_membership(cast, cast.alice))
    assert list(Membership.objects.filter(entity=cast.entity_a, role="admin").values_list("user__username", flat=True)) == ["carol"]


def test_leaving_from_the_membership_page(cast):
    url = reverse("integrations:membership", kwargs={"entity_slug": "entity-a"})
    bob = cast.client_for(cast.bob)
    assert b"Leave Entity A" in bob.get(url).content
    response = bob.post(url, follow=True)
    assert response.redirect_chain[0][0] == "/" and b"You left Entity A" in response.content
    assert bob.get(url).status_code == 404


def test_the_last_admin_is_told_why_they_cannot_leave(cast):
    url = reverse("integrations:membership", kwargs={"entity_slug": "entity-a"})
    response = cast.client_for(cast.alice).post(url, follow=True)
    assert b"You are the only admin, so you cannot leave" in response.content
    assert Membership.objects.filter(user=cast.alice, entity=cast.entity_a).exists()


def test_an_admin_removes_a_member(cast):
    bob = _membership(cast, cast.bob)
    url = reverse("integrations:team-remove", kwargs={"entity_slug": "entity-a", "membership_id": bob.pk})
    assert cast.client_for(cast.carol).post(url).status_code == 404  # The Integrations permission is not enough.
    response = cast.client_for(cast.alice).post(url, follow=True)
    assert b"Removed bob from Entity A" in response.content
    assert not Membership.objects.filter(pk=bob.pk).exists()
    assert AuditEvent.objects.filter(entity=cast.entity_a, action="membership.removed", target="bob", actor=cast.alice).exists()


def test_removing_the_last_admin_is_refused_with_a_message(cast):
    alice = _membership(cast, cast.alice)
    url = reverse("integrations:team-remove", kwargs={"entity_slug": "entity-a", "membership_id": alice.pk})
    response = cast.client_for(cast.alice).post(url, follow=True)
    assert b"only admin of the organization" in response.content
    assert Membership.objects.filter(pk=alice.pk).exists()


def test_another_entitys_member_cannot_be_removed(cast):
    foreign = Membership.objects.get(user=cast.charlie)
    url = reverse("integrations:team-remove", kwargs={"entity_slug": "entity-a", "membership_id": foreign.pk})
    assert cast.client_for(cast.alice).post(url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
