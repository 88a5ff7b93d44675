"""FakeActionKitClient: the service-test double of the ActionKit client, the ActBlue side. Same public methods the app uses, an in-memory
store of notifications by (account, lineitemId, kind), a `calls` list and `fail_next_with` for one-off errors."""

from actionkit import errors


class FakeActionKitClient:
    def __init__(self, *, valid_password: str = "right-password"):  # noqa: S107 - a test double.
        self.valid_password = valid_password
        self.calls: list[dict] = []
        self.orders: dict[tuple[str, int], dict] = {}
        self.fail_next_with: list[Exception] = []
        self.password = valid_password

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

    def kinds_sent(self) -> list[str]:
        return [c["notification"]["contribution"].get("cancelledAt") and "cancellation" or (
            "refund" if c["notification"]["lineitems"][0].get("refundedAt") else "contribution") for c in self.calls]
