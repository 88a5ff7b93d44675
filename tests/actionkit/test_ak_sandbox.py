"""ActionKitClient against the running sandbox over real HTTP: paging, filters, writes, ActBlue, faults."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
import requests

from actionkit import errors

pytestmark = pytest.mark.e2e
SEEDED_USERS = 10_000
_lineitems = itertools.count(900_000_001)


@pytest.fixture(scope="module")
def seeded(ak_sandbox):
    ak_sandbox.reset()
    ak_sandbox.seed(users=SEEDED_USERS, pages=20, actions=2_000, usergroups=3)
    yield ak_sandbox
    ak_sandbox.reset()


def notification(email: str, *, lineitem: int | None = None, **contribution) -> dict:
    return {
        "donor": {
            "firstname": "Mary",
            "lastname": "Smith",
            "email": email,
            "zip": "94801",
            "phone": "5105550123",
            "isEligibleForExpressLane": True,
            "employerData": {"employer": "Acme", "occupation": "Welder"},
        },
        "contribution": {
            "orderNumber": f"AB{lineitem}",
            "contributionForm": "spring",
            "refcode": "em0607",
            **contribution,
        },
        "lineitems": [{"lineitemId": lineitem or next(_lineitems), "amount": "25.0", "entityId": 12345}],
    }


def test_it_answers_bad_credentials_like_tastypie(seeded, ak_client):
    response = requests.get(f"{seeded.base_url}/rest/v1/", auth=("demo-staff", "wrong"), timeout=5)
    assert response.status_code == 401 and response.content == b""
    assert response.headers["WWW-Authenticate"] == 'Basic Realm="django-tastypie"'
    bad = seeded.client()
    bad.session.auth = ("demo-staff", "wrong")
    with pytest.raises(errors.ActionKitUnauthorized):
        bad.verify_credentials()
    ak_client.verify_credentials()


def test_it_redirects_paths_without_trailing_slash(seeded):
    response = requests.get(f"{seeded.base_url}/rest/v1/tag?_limit=100", allow_redirects=False, timeout=5)
    # Absolute, as in changelab's recorded list_tags.yml (https://act.sumofus.org/rest/v1/tag/?_limit=100).
    assert response.status_code == 301 and response.headers["Location"] == f"{seeded.base_url}/rest/v1/tag/?_limit=100"


def test_it_pages_through_ten_thousand_users_in_order(seeded, ak_client):
    seen, last = set(), ("", 0)
    for user in ak_client.users_updated_since(None):
        key = (user["updated_at"], user["id"])
        assert key > last
        seen.add(user["id"])
        last = key
    assert len(seen) == SEEDED_USERS


def test_it_filters_users_by_updated_at(seeded, ak_client):
    since = datetime.utcnow() - timedelta(days=30)
    users = list(ak_client.users_updated_since(since, page_size=50))
    assert 0 < len(users) < SEEDED_USERS
    assert all(u["updated_at"] >= since.isoformat(timespec="seconds") for u in users)


def test_it_reads_a_user_with_phones_and_fields(seeded, ak_client):
    user = ak_client.user_by_email("seed42@example.org")
    assert user is not None and ak_client.user_get(user["id"])["email"] == "seed42@example.org"
    phones = ak_client.user_phones(user["id"])
    assert phones and {p["type"] for p in phones} <= {"mobile", "work", "home"}
    assert all(p["normalized_phone"].isdigit() for p in phones)
    assert "sms_opt_in" in ak_client.user_field_values(user["id"])
    assert {"employer", "occupation", "express_lane"} <= {f["name"] for f in ak_client.allowed_user_fields()}
    assert ak_client.user_by_email("nobody@example.org") is None
    with pytest.raises(errors.ActionKitNotFound):
        ak_client.user_get(10_000_000)


def test_it_ensures_import_pages_and_processes_actions(seeded, ak_client):
    page = ak_client.import_page_ensure(name="akbridge-import", title="AK bridge")
    again = ak_client.import_page_ensure(name="akbridge-import", title="AK bridge")
    assert page["created"] and not again["created"] and again["id"] == page["id"]
    result = ak_client.action_process(
        page="akbridge-import",
        email="new.member@example.org",
        core={"first_name": "New"},
        user_fields={"sms_opt_in": "Yes"},
        action_fields={"strive_id": "s-1"},
        source="strive",
    )
    assert result["created_user"] and result["location"].startswith(f"{seeded.base_url}/rest/v1/importaction/")
    assert ak_client.user_field_values(result["user_id"])["sms_opt_in"] == "Yes"
    [action] = [a for a in ak_client.actions_updated_since(None, page_ids=[page["id"]])]
    assert action["fields"] == {"strive_id": "s-1"} and action["user_id"] == result["user_id"]
    with pytest.raises(errors.ActionKitValidationError) as info:
        ak_client.action_process(page="missing-page", email="x@example.org")
    assert "Unable to find a page" in info.value.field_errors["page"][0]


def test_it_lists_actions_for_pages(seeded, ak_client):
    pages = list(itertools.islice(ak_client.pages_updated_since(None), 3))
    ids = [p["id"] for p in pages]
    actions = list(ak_client.actions_updated_since(None, page_ids=ids))
    assert actions and all(a["page_id"] in ids for a in actions)


def test_it_reads_and_writes_usergroup_membership(seeded, ak_client):
    group = next(iter(ak_client.usergroups()))
    members = set(ak_client.usergroup_member_ids(group["id"]))
    outsider = next(i for i in range(1, SEEDED_USERS) if i not in members)
    ak_client.usergroup_add_user(group["id"], outsider)
    assert outsider in set(ak_client.usergroup_member_ids(group["id"]))


def test_it_records_actblue_contributions_once(seeded, ak_client):
    body = notification("donor1@example.org")
    first = ak_client.actblue_notify(account="Default ActBlue", notification=body)
    second = ak_client.actblue_notify(account="Default ActBlue", notification=body)
    assert (first["status_code"], second["status_code"]) == (201, 200) and second["body"]["duplicate"]
    import_id = f"ab-{body['lineitems'][0]['lineitemId']}"
    [order] = seeded.orders(import_id=import_id)
    assert order["status"] == "completed" and order["account"] == "Default ActBlue"
    [user] = seeded.users(email="donor1@example.org")
    assert user["fields"]["employer"] == "Acme" and user["subscription_status"] == "subscribed"
    assert seeded.stats()["duplicates_prevented"] >= 1


def test_it_applies_refunds_and_cancellations(seeded, ak_client):
    lineitem = next(_lineitems)
    ak_client.actblue_notify(
        account="A", notification=notification("d2@example.org", lineitem=lineitem, isRecurring=True)
    )
    refund = notification("d2@example.org", lineitem=lineitem)
    refund["lineitems"][0]["refundedAt"] = "2023-06-12T10:03:11-04:00"
    assert ak_client.actblue_notify(account="A", notification=refund)["status_code"] == 200
    assert seeded.orders(import_id=f"ab-{lineitem}")[0]["status"] == "reversed"
    cancel = notification("d2@example.org", lineitem=lineitem, cancelledAt="2023-06-20T11:02:47-04:00")
    ak_client.actblue_notify(account="A", notification=cancel)
    assert seeded.recurring(recurring_id=f"AB{lineitem}")[0]["status"] == "canceled_by_admin"


def test_it_leaves_subscription_alone_on_backfill(seeded, ak_client):
    ak_client.actblue_notify(account="A", notification=notification("late@example.org"), backfill=True)
    assert seeded.users(email="late@example.org")[0]["subscription_status"] == "never"


@pytest.mark.parametrize(
    "kind, expected",
    [("500", errors.ActionKitTransient), ("503", errors.ActionKitTransient), ("401", errors.ActionKitUnauthorized)],
)
def test_it_maps_injected_faults(seeded, ak_client, kind, expected):
    seeded.inject(kind, 1)
    with pytest.raises(expected):
        ak_client.verify_credentials()
    ak_client.verify_credentials()


def test_it_maps_injected_429_with_retry_after(seeded, ak_client):
    seeded.inject("429", 1, retry_after=7)
    with pytest.raises(errors.ActionKitRateLimited) as info:
        ak_client.verify_credentials()
    assert info.value.retry_after == 7.0


def test_it_times_out_on_slow_answers(seeded):
    seeded.inject("slow", 1, delay=1.5)
    with pytest.raises(errors.ActionKitTimeout):
        seeded.client(timeout=(2, 0.3)).verify_credentials()


def test_it_serves_429_over_the_concurrency_limit_and_recovers(seeded, ak_client):
    seeded.set_limits(per_minute=3)
    try:
        with pytest.raises(errors.ActionKitRateLimited):
            for _ in range(5):
                ak_client.verify_credentials()
        assert seeded.stats()["429s_served"] >= 1
    finally:
        seeded.set_limits()
    ak_client.verify_credentials()


def test_it_shows_the_inspector(seeded):
    page = requests.get(f"{seeded.base_url}/_sandbox/?tab=orders", timeout=5)
    assert page.status_code == 200 and "ActionKit sandbox" in page.text and "completed" in page.text


def test_it_recovers_from_429_through_the_shared_throttle(seeded, tmp_path):
    from integrations.ratelimit import LocalBackend, Throttle

    throttle = Throttle(
        key="sandbox-429", per_minute=6000, host=seeded.host, backend=LocalBackend(tmp_path / "ratelimit.sqlite3")
    )
    client = seeded.client(throttle=throttle)
    seeded.inject("429", 1, retry_after="0.3")
    with pytest.raises(errors.ActionKitRateLimited):
        client.verify_credentials()
    refused_at = throttle.last_admitted_at
    client.verify_credentials()  # The throttle holds this request until the pause is over, then it succeeds.
    assert throttle.last_admitted_at >= refused_at + 0.3


class _Receiver:
    """A loopback HTTP server that answers with scripted statuses and keeps every body it was sent."""

    def __init__(self, statuses: list[int]):
        import http.server
        import threading

        receiver = self
        self.statuses, self.bodies = list(statuses), []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/page/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _wait_for(predicate, timeout=15):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_an_action_on_a_page_with_a_push_endpoint_is_posted_there_with_retries(ak_sandbox, ak_client):
    import json

    ak_sandbox.reset()
    ak_sandbox.create_page("pushed", title="Pushed", type="Petition")
    ak_sandbox.create_page("quiet", title="Quiet", type="Petition")
    receiver = _Receiver([500])  # The first try fails: the sandbox tries again.
    try:
        ak_sandbox.push_endpoint(receiver.url, ["pushed"], name="strive")
        taken = ak_client.action_process(page="pushed", email="pushed@example.org", action_fields={"comment": "hi"})
        ak_client.action_process(page="quiet", email="quiet@example.org")
        _wait_for(lambda: ak_sandbox.pushes())
    finally:
        receiver.close()
    body = json.loads(receiver.bodies[-1])
    assert len(receiver.bodies) == 2 and receiver.bodies[0] == receiver.bodies[1]
    assert (body["id"], body["user"], body["fields"]) == (taken["action_id"], taken["user"], {"comment": "hi"})
    assert body["page"].startswith("/rest/v1/petitionpage/")
    assert [(p["action_id"], p["status_code"], p["tries"]) for p in ak_sandbox.pushes()] == [(taken["action_id"], 202, 2)]


def test_a_push_endpoint_must_be_on_this_machine(ak_sandbox):
    ak_sandbox.reset()
    ak_sandbox.create_page("pushed", type="Petition")
    for url in ("https://hooks.example.org/x/", "http://10.0.0.5/x/", "ftp://127.0.0.1/x/"):
        with pytest.raises(requests.HTTPError) as refused:
            ak_sandbox.push_endpoint(url, ["pushed"])
        assert "only to http(s) URLs on this machine" in refused.value.response.json()["error"]
    with pytest.raises(requests.HTTPError):
        ak_sandbox.push_endpoint("http://127.0.0.1:9/x/", ["no-such-page"])
