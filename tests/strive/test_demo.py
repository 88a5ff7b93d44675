"""`make run`'s demo: the sandbox's pages push their actions to the member sync's webhook URL."""

import pytest
from django.core.management import call_command

from integrations.models import Connection
from strive.activity.services.webhooks import webhook_path
from strive.services.config import KIND

pytestmark = pytest.mark.django_db


def test_the_demo_points_the_sandbox_pages_at_the_webhook_once(ak_sandbox, ak_client):
    ak_sandbox.reset()
    ak_sandbox.create_page("demo-petition", type="Petition")
    ak_sandbox.create_page("demo-signup", type="Signup")
    for _ in range(2):  # Re-running the demo adds no second endpoint.
        call_command("seed_demo", sandbox_host=ak_sandbox.host, app_url="http://127.0.0.1:8000")
    connection = Connection.objects.get(entity__slug="demo-pac", kind=KIND)
    endpoints = ak_sandbox._control("GET", "push_endpoints")["objects"]
    assert [(e["url"], len(e["pages"])) for e in endpoints] == [
        ("http://127.0.0.1:8000" + webhook_path(connection=connection), 2)]


def test_without_a_sandbox_the_demo_still_seeds(capsys):
    call_command("seed_demo", sandbox_host="127.0.0.1:9", app_url="http://127.0.0.1:8000")
    assert "were not pointed at the webhook URL" in capsys.readouterr().out
    assert Connection.objects.filter(entity__slug="demo-pac", kind=KIND).exists()
