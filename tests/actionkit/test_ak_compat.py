"""actionkit.compat's verdicts on answers a real instance could give, through a stand-in client (no HTTP): an
ignored filter, an ignored ordering, a refused filter, and an empty list, which can only be "can't tell yet"."""

import pytest

from actionkit import compat, errors


class Instance:
    """Answers probe_list like tastypie: ``ignores`` holds filters dropped silently, ``refuses`` ones that are 400."""

    def __init__(self, total=5, *, ignores=(), refuses=(), unordered=False, forbidden=()):
        self.total, self.ignores, self.refuses = total, set(ignores), set(refuses)
        self.unordered, self.forbidden = unordered, set(forbidden)

    def verify_credentials(self):
        return None

    def probe_list(self, resource, params=None):
        if resource in self.forbidden:
            raise errors.ActionKitForbidden(resource=resource, status_code=401)
        params = dict(params or {})
        ids = list(range(1, self.total + 1))
        if "order_by" in params and params["order_by"][0].startswith("-") and not self.unordered:
            ids.reverse()
        for name in [p for p in params if p != "order_by"]:
            if name in self.refuses:
                raise errors.ActionKitValidationError(f"The '{name}' field does not allow filtering.", status_code=400)
            if name not in self.ignores:
                ids = []  # A working filter on a value that matches nothing.
        return {"total": len(ids), "ids": ids[:2]}

    def sql_rows(self, query, **params):
        if "report" in self.forbidden:
            raise errors.ActionKitForbidden(resource="report", status_code=401)
        return [[1]]

    def allowed_user_fields(self):
        return [{"name": "sms_opt_in"}]


def check(instance, **kw):
    return compat.compat_probe(instance, user_fields={"sms_opt_in": (("members",), "x")}, **kw)


def status(result, key):
    return compat.status_of(result, key)


def test_an_ignored_updated_at_filter_turns_off_only_the_stream_that_relies_on_it():
    result = check(Instance(ignores={"updated_at__gte"}))
    assert status(result, "since:user") == status(result, "since:action") == compat.FAILED
    assert "matched 5 of 5 users: it is ignored" in compat.feature_off(result, "members")
    assert compat.feature_off(result, "activity") and not compat.feature_off(result, "usergroups")


def test_an_ignored_ordering_fails_and_a_refused_filter_names_itself():
    result = check(Instance(unordered=True, refuses={"groups"}))
    assert status(result, "order:phone") == compat.FAILED and "order is ignored" in compat.feature_off(result, "members")
    groups = next(r for r in result["probes"] if r["key"] == "groups")
    assert groups["status"] == compat.FAILED and "does not allow filtering" in groups["detail"]
    assert compat.groups_via_sql(result) and not compat.feature_off(result, "usergroups")


def test_an_empty_instance_can_only_be_cant_tell_yet():
    result = check(Instance(total=0, ignores={"groups", "updated_at__gte", "page__in"}))
    assert {status(result, k) for k in ("groups", "page_in", "since:user", "order:user")} == {compat.UNKNOWN}
    assert not any(compat.feature_off(result, f) for f in compat.FEATURES)


@pytest.mark.parametrize("forbidden, off", [({"usergroup"}, {"usergroups"}), ({"phone"}, {"members"}),
                                            ({"page"}, {"activity"}), ({"report"}, {"field_changes"})])
def test_each_missing_permission_turns_off_only_its_features(forbidden, off):
    result = check(Instance(forbidden=forbidden))
    assert {f for f in compat.FEATURES if compat.feature_off(result, f)} == off


def test_a_refusal_seen_at_run_time_fails_the_read_row_until_the_next_check():
    result = compat.forbidden_apply(check(Instance()), "report")
    assert status(result, "read:report") == compat.FAILED and not compat.field_changes_via_sql(result)
    result = compat.forbidden_apply(check(Instance(ignores={"groups"})), "report")
    assert "permission to run reports" in compat.feature_off(result, "usergroups")  # No SQL fallback any more.
