"""Demo data for the member sync: a handful of members in a few formats, a manual group, and a connection to the
local sandbox (not activated: activation is the step a person takes from Settings). Idempotent."""

import requests

from actionkit.errors import ActionKitError
from actionkit.factory import client_for_credentials
from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
from integrations.models import Connection
from integrations.services.connections import connection_connect
from strive.activity.services.webhooks import webhook_path
from strive.models import Group
from strive.services.config import KIND
from strive.services.fields import core_mappings_ensure
from strive.services.groups import group_add_member
from strive.services.members import MemberInput, member_upsert

DEMO_MEMBERS = [
    ("(202) 555-0101", "Mary", "Smith", "mary.smith@demo.example", "20001", "opted_in"),
    ("+1 415 555 0102", "Luis", "Ortega", "luis.ortega@demo.example", "94110", "opted_in"),
    ("312.555.0103", "Amina", "Diallo", "", "60601", "opted_out"),
    ("1-646-555-0104", "Chen", "Wei", "chen.wei@demo.example", "10001", "unknown"),
]


def seed_demo(*, entity, sandbox_host: str, app_url: str = "", stdout=None) -> None:
    connection = Connection.objects.filter(entity=entity, kind=KIND).first()
    if connection is None:
        connection = connection_connect(entity=entity, kind=KIND, host=sandbox_host, config={"username": DEMO_USERNAME},
                                        secrets={"password": DEMO_PASSWORD}, actor=None)
        core_mappings_ensure(connection=connection)
    if app_url:
        _sandbox_pushes_to_us(connection=connection, sandbox_host=sandbox_host, app_url=app_url, stdout=stdout)
    group, _ = Group.objects.get_or_create(entity=entity, name="Volunteers", kind=Group.Kind.MANUAL)
    for phone, first, last, email, zip_code, opt_in in DEMO_MEMBERS:
        member, _ = member_upsert(entity=entity, data=MemberInput(phone=phone, first_name=first, last_name=last,
                                                                  email=email, zip=zip_code, sms_opt_in=opt_in,
                                                                  source="demo"))
        group_add_member(group=group, member=member)
    if stdout:
        stdout.write(f"Member sync demo: {len(DEMO_MEMBERS)} members and an ActionKit connection for {entity.name}.")


def _sandbox_pushes_to_us(*, connection, sandbox_host: str, app_url: str, stdout) -> None:
    """Do in the sandbox what an admin does in ActionKit: enter the integration webhook as the pages' push endpoint,
    so an action taken on a sandbox page reaches this app at once (once the page is synced here)."""
    control = f"http://{sandbox_host}/_sandbox/push_endpoints"
    url = app_url.rstrip("/") + webhook_path(connection=connection)
    try:
        if any(e["url"] == url for e in requests.get(control, timeout=10).json()["objects"]):
            return
        client = client_for_credentials(host=sandbox_host, username=DEMO_USERNAME, password=DEMO_PASSWORD)
        pages = [page["id"] for page in client.pages_updated_since(None)]
        requests.post(control, json={"name": "Strive demo", "url": url, "pages": pages}, timeout=10).raise_for_status()
    except (requests.RequestException, ActionKitError, KeyError, ValueError) as exc:
        if stdout:
            stdout.write(f"The sandbox's pages were not pointed at the webhook URL ({exc}); the polls still sync them.")
        return
    if stdout:
        stdout.write(f"Sandbox: actions on its {len(pages)} pages are pushed to the member sync's webhook URL.")
