"""FakeActionKitClient: the one in-memory double of `actionkit.client.ActionKitClient` for service tests.

It has the public methods the app calls, with the client's names and arguments: the ActBlue side's (credentials and
ActBlue notifications, stored as orders by (account, lineitemId) with the kinds received) and the member sync's
(pages, actions, users, phones and usergroups, filled with the `add_*` helpers). `calls` records what each call was
given (a dict for the ActBlue side, a line of text for the member side); `fail_next_with` holds errors the next
ActBlue-side calls raise, one each.
"""

from datetime import UTC, datetime, timedelta

from actionkit import errors

BASE = datetime(2026, 1, 1, tzinfo=UTC)  # `minutes` in the add_* helpers count from here.


def stamp(minutes: float) -> str:
    """ActionKit's naive UTC timestamp, `minutes` after BASE."""
    return (BASE + timedelta(minutes=minutes)).replace(tzinfo=None).isoformat()


class FakeActionKitClient:
    def __init__(self, *, valid_password: str = "right-password"):  # noqa: S107 - a test double.
        self.valid_password = valid_password
        self.password = valid_password
        self.calls: list = []
        self.fail_next_with: list[Exception] = []
        self.orders: dict[tuple[str, int], dict] = {}
        self.pages, self.actions, self.users, self.phones, self.groups = {}, {}, {}, {}, {}
        self.usergroup_members: dict[int, set[int]] = {}

    # Test helpers ---------------------------------------------------------------------------------------------

    def add_page(self, pk: int, name: str, *, minutes: float = 0, title: str = "", type: str = "Petition"):  # noqa: A002
        self.pages[pk] = {"id": pk, "name": name, "title": title or name.title(), "type": type, "status": "active",
                          "hidden": False, "updated_at": stamp(minutes)}

    def add_user(self, pk: int, *, phone: str | None = "", opt_in: str = "yes", first_name: str = "Ana"):
        phone = f"+1202555{pk:04d}" if phone == "" else phone
        self.users[pk] = {"id": pk, "email": f"user{pk}@example.org", "first_name": first_name, "last_name": "Doe",
                          "zip": "", "city": "", "state": "", "fields": {"sms_opt_in": opt_in} if opt_in else {},
                          "updated_at": stamp(0)}
        self.phones[pk] = [{"id": pk, "type": "mobile", "phone": phone}] if phone else []

    def add_action(self, pk: int, *, page: int, user: int, fields: dict | None = None, created: datetime | None = None):
        when = (created or datetime.now(UTC)).replace(tzinfo=None).isoformat()
        self.actions[pk] = {"id": pk, "page": f"/rest/v1/petitionpage/{page}/", "user": f"/rest/v1/user/{user}/",
                            "fields": fields or {}, "created_at": when, "updated_at": when}
        return self.actions[pk]

    def kinds_sent(self) -> list[str]:
        return [c["notification"]["contribution"].get("cancelledAt") and "cancellation" or (
            "refund" if c["notification"]["lineitems"][0].get("refundedAt") else "contribution") for c in self.calls]

    # Client methods: credentials and ActBlue notifications ----------------------------------------------------

    def _maybe_fail(self) -> None:
        if self.fail_next_with:
            raise self.fail_next_with.pop(0)

    def verify_credentials(self) -> None:
        self._maybe_fail()
        if self.password != self.valid_password:
            raise errors.ActionKitUnauthorized(status_code=401)

    def actblue_notify(self, *, account: str, notification: dict, backfill: bool = False) -> dict:
        self.calls.append({"account": account, "notification": notification, "backfill": backfill})
        self._maybe_fail()
        contribution = notification["contribution"]
        kind = "cancellation" if contribution.get("cancelledAt") else "refund" if notification["lineitems"][0].get(
            "refundedAt") else "contribution"
        item = notification["lineitems"][0]
        order = self.orders.setdefault((account, item["lineitemId"]), {"status": "completed", "events": []})
        order["events"].append(kind)
        if kind == "refund":
            order["status"] = "reversed"
        return {"status_code": 201, "body": {"kind": kind}, "location": f"/rest/v1/order/{item['lineitemId']}/"}

    def close(self) -> None:
        pass

    # Client methods: pages, actions, users and usergroups -----------------------------------------------------

    def pages_updated_since(self, since):
        self.calls.append(f"pages since {since}")
        return iter(sorted((p for p in self.pages.values() if _after(p, since)), key=lambda p: p["updated_at"]))

    def actions_updated_since(self, since, *, page_ids=None):
        self.calls.append(f"actions since {since} on {page_ids}")
        rows = [a for a in self.actions.values() if _after(a, since)
                and (not page_ids or int(a["page"].rstrip("/").rsplit("/", 1)[-1]) in page_ids)]
        return iter(sorted(rows, key=lambda a: (a["updated_at"], a["id"])))

    def user_get(self, user_id):
        self.calls.append(f"user {user_id}")
        if user_id not in self.users:
            raise errors.ActionKitNotFound("no such user")
        return self.users[user_id]

    def user_phones(self, user_id):
        return list(self.phones.get(user_id, []))

    def usergroups(self):
        return iter([{"id": k, "name": v} for k, v in self.groups.items()])

    def usergroup_member_ids(self, usergroup_id, *, via_sql=False):  # Either read gives the same members here.
        return iter(sorted(self.usergroup_members.get(usergroup_id, set())))


def _after(row: dict, since) -> bool:
    if since is None:
        return True
    when = datetime.fromisoformat(row["updated_at"]).replace(tzinfo=UTC)
    return when >= since
