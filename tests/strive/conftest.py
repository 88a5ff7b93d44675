import pytest

from integrations.models import Connection
from strive.services.activation import strive_connect


@pytest.fixture
def members_connection(cast, sandbox) -> Connection:
    return strive_connect(entity=cast.entity_a, host=sandbox.host, username=sandbox.username,
                          password=sandbox.password, actor=cast.alice)


def ak_user(sandbox, email: str, *, phone: str | None = "202-555-0101", phone_type: str = "mobile",
            opt_in: str | None = "yes", **core) -> dict:
    fields = {"sms_opt_in": opt_in} if opt_in is not None else {}
    phones = [{"phone": phone, "type": phone_type}] if phone else []
    return sandbox.create_user(email, fields=fields, phones=phones, **core)


def ak_patch_user(sandbox, user_id: int, **data) -> None:
    """A change made in ActionKit by someone else (core fields, or fields={...} for userfields)."""
    response = sandbox.http.patch(f"{sandbox.base_url}/rest/v1/user/{user_id}/", json=data,
                                  auth=(sandbox.username, sandbox.password), timeout=10)
    assert response.status_code in (200, 202, 204), response.text


def ak_get_user(sandbox, user_id: int) -> dict:
    response = sandbox.http.get(f"{sandbox.base_url}/rest/v1/user/{user_id}/", auth=(sandbox.username, sandbox.password),
                                timeout=10)
    response.raise_for_status()
    return response.json()
