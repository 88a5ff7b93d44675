"""Demo data: forms, contributions (own, tandem and managed), refunds, a cancelled recurring series, and an
ActionKit connection to the local sandbox. Idempotent: fixed ActBlue ids make a re-run a no-op, and an existing
connection is left as the user left it (`make run` runs this every start). The sandbox may not be up yet, so the
credentials are not verified here."""

from datetime import UTC, datetime, timedelta

from actblue.kind import CONFIG_ACCOUNT, CONFIG_NOTIFY_MANAGED, CONFIG_USERNAME, DEFAULT_ACCOUNT, KIND
from actblue.services.ledger import cancellation_record, contribution_record, refund_record
from actblue.services.profile import actblue_identity_set
from actionkit.sandbox import DEMO_PASSWORD, DEMO_USERNAME
from integrations.models import Connection, Entity
from integrations.services.connections import connection_connect

DEMO_ACTBLUE_ID = 10001
PARTNER_ACTBLUE_ID = 10002  # A committee the demo organization raises money for on tandem and managed forms.
PARTNER_NAME = "Partner Committee"
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
DONORS = [("Mary", "Smith"), ("Luis", "Ortega"), ("Amina", "Diallo"), ("Chen", "Wei"), ("Ruth", "Baker"),
          ("Omar", "Haddad"), ("Grace", "Kim"), ("Tom", "Novak")]


def _body(n: int, *, form: str, items: list[tuple[int, str, str]], recurring: bool = False, sequence: int = 0) -> dict:
    first, last = DONORS[n % len(DONORS)]
    created = START + timedelta(days=n)
    paid = created + timedelta(days=30 * sequence, seconds=5)
    return {"donor": {"firstname": first, "lastname": last, "email": f"{first.lower()}.{last.lower()}{n}@demo.example",
                      "zip": f"9{n:04d}", "city": "Richmond", "state": "CA", "country": "United States",
                      "isEligibleForExpressLane": n % 3 == 0,
                      "employerData": {"employer": "Retired", "occupation": "Retired"}},
            "contribution": {"createdAt": created, "orderNumber": f"DEMO{n:05d}", "contributionForm": form,
                             "refcodes": {"refcode": f"em{n % 4}"}, "refcode": f"em{n % 4}",
                             "recurringPeriod": "monthly" if recurring else "once",
                             "recurringDuration": 12 if recurring else 1, "isRecurring": recurring,
                             "isMobile": n % 2 == 0, "isExpress": n % 3 == 0, "status": "approved"},
            "lineitems": [{"lineitemId": lineitem_id, "sequence": sequence, "entityId": entity_id,
                           "committeeName": committee, "amount": amount, "paidAt": paid}
                          for lineitem_id, (entity_id, committee, amount) in
                          ((900000000 + n * 100 + sequence * 10 + i, item) for i, item in enumerate(items))],
            "form": {"name": form, "kind": "page"}}


def _connection_ensure(entity: Entity, sandbox_host: str) -> None:
    if Connection.objects.filter(entity=entity, kind=KIND).exists():
        return  # Left as the user left it: a re-run must not undo a disconnect or new credentials.
    connection_connect(entity=entity, kind=KIND, host=sandbox_host,
                       config={CONFIG_USERNAME: DEMO_USERNAME, CONFIG_ACCOUNT: DEFAULT_ACCOUNT, CONFIG_NOTIFY_MANAGED: False},
                       secrets={"password": DEMO_PASSWORD}, actor=None)


def seed_demo(*, entity: Entity, sandbox_host: str, app_url: str = "", stdout=None) -> None:
    actblue_identity_set(entity=entity, entity_ids=[DEMO_ACTBLUE_ID], committee_name=entity.name)
    _connection_ensure(entity, sandbox_host)
    own, partner_item = (DEMO_ACTBLUE_ID, entity.name, "25.00"), (PARTNER_ACTBLUE_ID, PARTNER_NAME, "15.00")
    for n in range(24):
        if n % 4 == 3:  # Tandem: one gift split between us and the partner.
            contribution_record(entity=entity, data=_body(n, form="demo-tandem", items=[own, partner_item]))
        elif n % 4 == 2:  # A form we manage for the partner: the line item is theirs.
            contribution_record(entity=entity, data=_body(n, form="demo-partner-managed", items=[partner_item]))
        else:
            contribution_record(entity=entity, data=_body(n, form="demo-spring-appeal", items=[own]))
    for n in (0, 5):
        body = _body(n, form="demo-spring-appeal", items=[own])
        body["lineitems"][0]["refundedAt"] = START + timedelta(days=n + 3)
        refund_record(entity=entity, data=body)
    for sequence in range(3):
        contribution_record(entity=entity, data=_body(30, form="demo-monthly", items=[own], recurring=True,
                                                      sequence=sequence))
    cancel = _body(30, form="demo-monthly", items=[own], recurring=True, sequence=2)
    cancel["contribution"]["cancelledAt"] = START + timedelta(days=95)
    cancellation_record(entity=entity, data=cancel)
    if stdout:
        stdout.write(f"ActBlue demo: contributions and an ActionKit connection to {sandbox_host} for {entity.name}.")
