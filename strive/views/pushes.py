"""Retry on the member page: a member's push to ActionKit that failed for good, sent again."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from integrations.decorators import entity_view
from integrations.models import Delivery
from integrations.services.deliveries import delivery_retry
from strive import selectors
from strive.models import Member


@entity_view(methods=("POST",))
def member_push_retry(request, entity, member_id: int, delivery_id: int):
    """Retry on the member page: send the member's failed push again now (audited as delivery.retried)."""
    member = get_object_or_404(Member, pk=member_id, entity=entity)
    delivery = get_object_or_404(selectors.member_pushes(entity=entity), pk=delivery_id, source_id=member.pk)
    if delivery.status != Delivery.Status.DEAD:
        messages.info(request, "That change is not failed any more; nothing to retry.")
    else:
        delivery_retry(delivery=delivery, actor=request.user)
        messages.success(request, "Sending the change to ActionKit again now.")
    return redirect("strive:member", entity_slug=entity.slug, member_id=member.pk)
