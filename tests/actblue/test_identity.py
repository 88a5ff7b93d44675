"""The organization names its own ActBlue entity ids: what "contributions to your entity" means for routing."""

import pytest
from django.urls import reverse

from actblue.models import ActBlueProfile, Form
from actblue.services import ledger
from integrations.models import AuditEvent, Delivery
from tests.actblue import payloads
from tests.actblue.payloads import parsed

pytestmark = pytest.mark.django_db


def url(cast):
    return reverse("actblue:identity", kwargs={"entity_slug": cast.entity_a.slug})


@pytest.mark.parametrize("value, error", [("", "This field is required"), ("abc", "is not an ActBlue entity ID"),
                                          ("²", "is not an ActBlue entity ID"), ("0", "is not an ActBlue entity ID"),
                                          ("99999999999999999999999", "is not an ActBlue entity ID")])
def test_it_refuses_what_is_not_an_entity_id(world, value, error):
    response = world.cast.client_for(world.cast.alice).post(url(world.cast), {"entity_ids": value})
    assert response.status_code == 200 and error in response.content.decode()
    assert ActBlueProfile.objects.get(entity=world.cast.entity_a).entity_ids == [payloads.ENTITY_A_ID]


def test_it_saves_several_ids_audits_and_refreshes_which_forms_are_managed(world):
    cast = world.cast
    ledger.contribution_record(entity=cast.entity_a, data=parsed(payloads.contribution(recipients=(777,), form="f")))
    assert Form.objects.get(entity=cast.entity_a, name="f").managed  # 777 is not A's (yet): a gift on a form A manages.
    response = cast.client_for(cast.alice).post(url(cast), {"entity_ids": f"{payloads.ENTITY_A_ID}, 777",
                                                            "committee_name": "Entity A PAC"}, follow=True)
    assert "Saved." in response.content.decode()
    profile = ActBlueProfile.objects.get(entity=cast.entity_a)
    assert (profile.entity_ids, profile.committee_name) == ([777, payloads.ENTITY_A_ID], "Entity A PAC")
    assert not Form.objects.get(entity=cast.entity_a, name="f").managed
    assert AuditEvent.objects.filter(entity=cast.entity_a, action="actblue.identity_changed", actor=cast.alice).exists()


def test_a_line_item_to_a_newly_named_id_is_sent_as_the_tenants_own(world):
    cast = world.cast
    cast.client_for(cast.alice).post(url(cast), {"entity_ids": "4242"})
    ledger.contribution_record(entity=cast.entity_a, data=parsed(payloads.contribution(recipients=(4242,))))
    assert Delivery.objects.filter(connection=world.connection_a).count() == 1


def test_outsiders_and_staff_without_the_permission_cannot_change_it(world):
    cast = world.cast
    for user in (cast.charlie, cast.bob):
        assert cast.client_for(user).post(url(cast), {"entity_ids": "1"}).status_code == 404
    assert ActBlueProfile.objects.get(entity=cast.entity_a).entity_ids == [payloads.ENTITY_A_ID]
