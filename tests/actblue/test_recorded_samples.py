"""Fidelity against ActBlue's own samples (tests/fixtures/actblue/*.json, ActBlue's published sample payloads): a sample
recorded into the ledger and sent on comes out as ActBlue sent it, key for key and value for value."""

import pytest

from actblue.models import Cancellation, LineItem, Refund
from actblue.sender import notification_for
from actblue.serializers import NotificationSerializer
from actblue.services import ledger
from integrations.models import Delivery
from tests.actblue.payloads import fixture

pytestmark = pytest.mark.django_db


def leaves(body, prefix=""):
    """Every scalar in a body, by its dotted path."""
    if isinstance(body, dict):
        return {k: v for key, value in body.items() for k, v in leaves(value, f"{prefix}{key}.").items()}
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return {k: v for i, value in enumerate(body) for k, v in leaves(value, f"{prefix}{i}.").items()}
    return {prefix.rstrip("."): body}


@pytest.mark.parametrize("name, kind", [("contribution", "contribution"), ("refund", "refund"),
                                        ("cancellation", "cancellation")])
def test_a_recorded_sample_goes_out_as_actblue_sent_it(world, name, kind):
    sample = fixture(name)
    serializer = NotificationSerializer(data=sample)
    assert serializer.is_valid(), serializer.errors
    ledger.RECORDERS[kind](entity=world.cast.entity_a, data=serializer.validated_data)
    source = {"contribution": LineItem, "refund": Refund, "cancellation": Cancellation}[kind].objects.get()
    delivery = Delivery.objects.get(event_type=kind, source_id=source.pk)
    sent = leaves(notification_for(delivery))
    expected = leaves(sample)
    assert {path: sent.get(path, "<absent>") for path in expected} == expected
