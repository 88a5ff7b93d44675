"""Demo data for the member sync: a handful of members in a few formats, a manual group, and a connection to the
local sandbox (not activated: activation is the step a person takes from Settings). Idempotent.

Other apps add their own demo steps from AppConfig.ready() with demo_hook_register(hook); each runs once the
connection exists, as ``hook(connection=, sandbox_host=, app_url=, stdout=)`` (app_url may be "").
"""

from collections.abc import Callable

from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
from integrations.models import Connection
from integrations.services.connections import connection_connect
from strive.models import Group
from strive.services.config import KIND
from strive.services.fields import core_mappings_ensure
from strive.services.groups import group_add_member
from strive.services.members import MemberInput, member_upsert

DemoHook = Callable[..., None]

DEMO_HOOKS: list[DemoHook] = []


def demo_hook_register(hook: DemoHook) -> None:
    if hook not in DEMO_HOOKS:
        DEMO_HOOKS.append(hook)


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
    for hook in DEMO_HOOKS:
        hook(connection=connection, sandbox_host=sandbox_host, app_url=app_url, stdout=stdout)
    group, _ = Group.objects.get_or_create(entity=entity, name="Volunteers", kind=Group.Kind.MANUAL)
    for phone, first, last, email, zip_code, opt_in in DEMO_MEMBERS:
        member, _ = member_upsert(entity=entity, data=MemberInput(phone=phone, first_name=first, last_name=last,
                                                                  email=email, zip=zip_code, sms_opt_in=opt_in,
                                                                  source="demo"))
        group_add_member(group=group, member=member)
    if stdout:
        stdout.write(f"Member sync demo: {len(DEMO_MEMBERS)} members and an ActionKit connection for {entity.name}.")

