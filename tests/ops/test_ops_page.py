import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from integrations.models import Connection


@pytest.fixture
def operator(db):
    user = get_user_model().objects.create_user(username="operator", password="x-operator-password", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_operator_page_lists_connections_in_error_across_tenants(cast, operator):
    since = timezone.now() - timezone.timedelta(hours=5)
    broken_a = Connection.objects.create(entity=cast.entity_a, kind="actblue", host="a.example.org", status="error",
                                         status_reason="ActionKit is not answering; we keep retrying.", first_failure_at=since)
    halted_b = Connection.objects.create(entity=cast.entity_b, kind="strive", host="b.example.org", status="error",
                                         halted=True, status_reason="ActionKit rejected the username or password.")
    Connection.objects.create(entity=cast.entity_b, kind="actblue", host="fine.example.org")

    page = operator.get("/ops/connections/").content.decode()

    assert "Entity A" in page and "Entity B" in page
    assert "ActionKit is not answering; we keep retrying." in page
    assert "Halted: credentials refused" in page
    assert "fine.example.org" not in page
    assert f"/admin/integrations/connection/{broken_a.pk}/change/" in page
    assert f"/admin/integrations/connection/{halted_b.pk}/change/" in page
    assert "5\xa0hours" in page  # "since" is shown relative as well as absolute.


@pytest.mark.django_db
def test_operator_page_shows_an_empty_state(operator):
    assert "No integration is in Connection error" in operator.get("/ops/connections/").content.decode()


@pytest.mark.django_db
def test_operator_page_is_staff_only(cast):
    for client in (Client(), cast.client_for(cast.alice)):  # alice is an entity admin, not site staff.
        response = client.get("/ops/connections/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_operator_page_pages_by_id(cast, operator):
    from integrations.models import Entity
    from integrations.ops_views import OPS_PAGE_SIZE

    for i in range(OPS_PAGE_SIZE + 3):
        entity = Entity.objects.create(name=f"Tenant {i:03}", slug=f"tenant-{i}")
        Connection.objects.create(entity=entity, kind="actblue", host="x.example.org", status="error", status_reason=f"r{i}")
    first = operator.get("/ops/connections/")
    assert first.context["next_after"] and len(first.context["connections"]) == OPS_PAGE_SIZE
    second = operator.get(f"/ops/connections/?after={first.context['next_after']}")
    assert len(second.context["connections"]) == 3 and second.context["next_after"] is None
