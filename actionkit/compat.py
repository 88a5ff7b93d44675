"""The compatibility check of a live ActionKit: one harmless probe per assumption, each with a known right answer.

docs/actionkit-compatibility.md lists every assumption, its probe and its fallback. A probe is ``passed``,
``failed`` or ``unknown`` ("can't tell yet": e.g. a filter that must return zero rows tells nothing while the
unfiltered list is empty too). A failed probe names the features it turns off (FEATURES) and what to change in
ActionKit; features read their state with ``feature_off``, and clients their fallbacks with ``groups_via_sql``
and friends. Pure: a client in, a JSON-ready dict out. No ORM, no clock but the one passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from actionkit import errors

PASSED, FAILED, UNKNOWN = "passed", "failed", "unknown"
FUTURE = "2999-01-01T00:00:00"  # No row can be updated after this.
NO_SUCH_ID = 2147483000  # No usergroup or page has this id (AK ids count up from 1).
FEATURES = {
    "members": "Member sync from ActionKit (the user and phone polls)",
    "usergroups": "Usergroup sync",
    "activity": "Pages and actions (the activity poll)",
    "field_changes": "Seeing custom-field changes that ActionKit does not stamp on the user",
}
READS = {  # resource -> (what it is, in words; features that stop without it)
    "user": ("users", ("members", "usergroups")),
    "phone": ("phones", ("members",)),
    "userfield": ("user fields (values)", ()),
    "alloweduserfield": ("allowed user fields", ()),
    "page": ("pages", ("activity",)),
    "action": ("actions", ("activity",)),
    "usergroup": ("usergroups", ("usergroups",)),
    "importpage": ("import pages", ()),
}
POLLED = {"user": "members", "phone": "members", "page": "activity", "action": "activity"}


def compat_probe(client, *, user_fields: dict | None = None, reads: Iterable[str] = tuple(READS),
                 syncs: bool = True, checked_at: str = "") -> dict:
    """Run the probes an integration needs against ``client``: reading each resource in ``reads``; with ``syncs``
    (an integration that polls ActionKit) the SQL report, updated_at filters and ordering, and the groups and
    page__in filters; and that each user field in ``user_fields`` exists. ``user_fields`` maps a field name to
    (features a missing one turns off, what is lost, in words). Raises ActionKitUnauthorized when the root refuses
    the login."""
    client.verify_credentials()
    totals: dict[str, int | None] = {}
    probes = [_read_probe(client, resource, totals) for resource in reads]
    if syncs:
        probes.append(_report_probe(client))
        report_ok = probes[-1]["status"] == PASSED
        for resource in POLLED:
            probes.extend([_since_probe(client, resource, totals), _order_probe(client, resource, totals)])
        probes.append(_zero_probe(client, "groups", "user", {"groups": NO_SUCH_ID}, totals, report_ok))
        probes.append(_zero_probe(client, "page_in", "action", {"page__in": f"{NO_SUCH_ID},{NO_SUCH_ID + 1}"},
                                  totals, report_ok))
    probes.extend(_field_probes(client, user_fields or {}, totals))
    return {"checked_at": checked_at, "probes": probes}


def probe(key: str, status: str, label: str, detail: str = "", *, off: Iterable[str] = (), effect: str = "",
          fix: str = "") -> dict:
    """One checklist row. ``off`` and ``effect`` apply only when the status is FAILED."""
    failed = status == FAILED
    return {"key": key, "status": status, "label": label, "detail": detail, "off": list(off) if failed else [],
            "effect": effect if failed else "", "fix": fix if failed else ""}


def feature_off(result: dict | None, feature: str) -> str:
    """Why ``feature`` is off on this instance (the first failed probe that turns it off), or "" when it may run."""
    for row in (result or {}).get("probes", []):
        if row.get("status") == FAILED and feature in row.get("off", []):
            return f"{row['label']}: {row['detail']} {row['fix']}".strip()
    if feature == "usergroups" and status_of(result, "groups") == FAILED and not groups_via_sql(result):
        return ("The groups filter on users is ignored and SQL reports are refused since the check: usergroup sync "
                "is off. In ActionKit, give the staff account permission to run reports.")
    return ""


def status_of(result: dict | None, key: str) -> str:
    return next((r["status"] for r in (result or {}).get("probes", []) if r.get("key") == key), UNKNOWN)


def groups_via_sql(result: dict | None) -> bool:
    """Read usergroup membership through SQL: the groups filter is not honoured and the report endpoint is."""
    return status_of(result, "groups") == FAILED and status_of(result, "read:report") == PASSED


def actions_per_page(result: dict | None) -> bool:
    """Read actions with page=<id>, one page at a time: page__in is not honoured."""
    return status_of(result, "page_in") == FAILED


def field_changes_via_sql(result: dict | None) -> bool:
    """Also read users whose custom fields changed without their updated_at moving (only SQL can see them)."""
    return status_of(result, "read:report") == PASSED


def forbidden_apply(result: dict | None, resource: str) -> dict:
    """The stored result with ``read:<resource>`` failed, as a refusal seen at run time tells."""
    rows = [r for r in (result or {}).get("probes", []) if r.get("key") != f"read:{resource}"]
    return {**(result or {}), "probes": [_read_failed(resource), *rows]}


def _guarded(key: str, label: str, run: Callable[[], dict]) -> dict:
    """Any failure but a missing permission becomes "can't tell yet", worded for the admin."""
    try:
        return run()
    except errors.ActionKitForbidden as exc:
        return probe(key, UNKNOWN, label, f"Can't tell: {exc.message}")
    except errors.ActionKitUnauthorized:
        raise
    except errors.ActionKitError as exc:
        return probe(key, UNKNOWN, label, f"Can't tell yet: {exc.message}")


def _read_failed(resource: str) -> dict:
    if resource == "report":
        return _report_failed()
    words, off = READS.get(resource, (resource, ()))
    effect = "Turns off: " + "; ".join(FEATURES[f] for f in off) + "." if off else "Nothing is turned off; " \
        "the integration reads around it."
    return probe(f"read:{resource}", FAILED, f"The staff account can read {words}",
                 f"ActionKit refused to list {words} (HTTP 401) while it accepted the login.", off=off, effect=effect,
                 fix=f"In ActionKit, give the staff account permission to read {words}.")


def _read_probe(client, resource: str, totals: dict) -> dict:
    words = READS[resource][0]

    def run() -> dict:
        try:
            totals[resource] = client.probe_list(resource)["total"]
        except errors.ActionKitForbidden:
            return _read_failed(resource)
        return probe(f"read:{resource}", PASSED, f"The staff account can read {words}")

    return _guarded(f"read:{resource}", f"The staff account can read {words}", run)


def _report_probe(client) -> dict:
    label = "The staff account can run SQL reports"

    def run() -> dict:
        try:
            rows = client.sql_rows("SELECT 1")
        except errors.ActionKitForbidden:
            return _report_failed()
        if rows and rows[0] and str(rows[0][0]) == "1":
            return probe("read:report", PASSED, label)
        return probe("read:report", UNKNOWN, label, "Can't tell yet: the SQL report sent an unexpected answer.")

    return _guarded("read:report", label, run)


def _report_failed() -> dict:
    return probe("read:report", FAILED, "The staff account can run SQL reports", "ActionKit refused report/run/sql/ "
                 "(HTTP 401).", off=("field_changes",), effect="Turns off the SQL fallbacks: custom-field changes "
                 "that ActionKit does not stamp on the user are not seen, and usergroups whose membership filter is "
                 "ignored cannot sync.", fix="In ActionKit, give the staff account permission to run reports (the "
                 "report permissions).")


def _since_probe(client, resource: str, totals: dict) -> dict:
    words, feature = READS[resource][0], POLLED[resource]
    label = f"ActionKit filters {words} by updated_at"

    def run() -> dict:
        if totals.get(resource) is None:
            return probe(f"since:{resource}", UNKNOWN, label, f"Can't tell yet: {words} could not be counted.")
        try:
            found = client.probe_list(resource, {"updated_at__gte": FUTURE})["total"]
        except errors.ActionKitValidationError as exc:
            return _filter_failed(f"since:{resource}", label, f"ActionKit refused the filter: {exc.message}",
                                  feature, "Allow filtering on updated_at for " + words)
        return _zero_or_failed(f"since:{resource}", label, found, totals[resource], words, feature,
                               fix=f"Ask ActionKit support to honour updated_at__gte on {words}.")

    return _guarded(f"since:{resource}", label, run)


def _order_probe(client, resource: str, totals: dict) -> dict:
    words, feature = READS[resource][0], POLLED[resource]
    label = f"ActionKit sorts {words} by updated_at"

    def run() -> dict:
        if (totals.get(resource) or 0) < 2:
            return probe(f"order:{resource}", UNKNOWN, label, f"Can't tell yet: fewer than two {words} to compare.")
        try:
            up = client.probe_list(resource, {"order_by": ["updated_at", "id"]})["ids"]
            down = client.probe_list(resource, {"order_by": ["-updated_at", "-id"]})["ids"]
        except errors.ActionKitValidationError as exc:
            return _filter_failed(f"order:{resource}", label, f"ActionKit refused the ordering: {exc.message}",
                                  feature, f"Allow ordering {words} by updated_at")
        if up and down and up[0] != down[0]:
            return probe(f"order:{resource}", PASSED, label)
        return _filter_failed(f"order:{resource}", label, "Ascending and descending order gave the same first row, "
                              "so the order is ignored.", feature, f"Allow ordering {words} by updated_at")

    return _guarded(f"order:{resource}", label, run)


def _zero_probe(client, key: str, resource: str, params: dict, totals: dict, report_ok: bool) -> dict:
    name = next(iter(params))
    words = READS[resource][0]
    label = f"ActionKit honours the {name} filter on {words}"

    def run() -> dict:
        if totals.get(resource) is None:
            return probe(key, UNKNOWN, label, f"Can't tell yet: {words} could not be counted.")
        try:
            found = client.probe_list(resource, params)["total"]
        except errors.ActionKitValidationError as exc:
            found, why = None, f"ActionKit refused the filter: {exc.message}"
        else:
            if found == 0 and totals[resource]:
                return probe(key, PASSED, label)
            if not totals[resource]:
                return probe(key, UNKNOWN, label, f"Can't tell yet: ActionKit has no {words}, so an ignored filter "
                             "looks the same as a working one.")
            why = f"A filter that must match nothing matched {found} of {totals[resource]} {words}: it is ignored."
        return _fallback_row(key, label, why, report_ok)

    return _guarded(key, label, run)


def _fallback_row(key: str, label: str, why: str, report_ok: bool) -> dict:
    if key == "page_in":
        return probe(key, FAILED, label, why, effect="Nothing is turned off: actions are read one page at a time "
                     "(page=<id>) instead, slower but complete.", fix="None needed.")
    if report_ok:
        return probe(key, FAILED, label, why, effect="Nothing is turned off: usergroup membership is read through "
                     "ActionKit's SQL report (core_user_groups) instead.", fix="None needed.")
    return probe(key, FAILED, label, why, off=("usergroups",), effect="Turns off: Usergroup sync (every member would "
                 "otherwise land in every group).", fix="In ActionKit, give the staff account permission to run "
                 "reports, so membership can be read through SQL.")


def _zero_or_failed(key: str, label: str, found, total, words: str, feature: str, *, fix: str) -> dict:
    if not total:
        return probe(key, UNKNOWN, label, f"Can't tell yet: ActionKit has no {words}, so an ignored filter looks the "
                     "same as a working one.")
    if found == 0:
        return probe(key, PASSED, label)
    return _filter_failed(key, label, f"A filter that must match nothing matched {found} of {total} {words}: it is "
                          "ignored.", feature, fix.removesuffix("."))


def _filter_failed(key: str, label: str, detail: str, feature: str, fix: str) -> dict:
    return probe(key, FAILED, label, detail, off=(feature,), effect=f"Turns off: {FEATURES[feature]}, so nothing is "
                 "read wrongly.", fix=f"{fix}, or contact ActionKit support.")


def _field_probes(client, needed: dict, totals: dict) -> list[dict]:
    names = [n for n in needed if n]
    if not names:
        return []
    if "alloweduserfield" not in totals:
        return [probe(f"field:{n}", UNKNOWN, f"User field “{n}” exists", "Can't tell: allowed user fields could "
                      "not be read.") for n in names]
    try:
        have = {str(f.get("name")) for f in client.allowed_user_fields()}
    except errors.ActionKitError as exc:
        return [probe(f"field:{n}", UNKNOWN, f"User field “{n}” exists", f"Can't tell yet: {exc.message}")
                for n in names]
    return [probe(f"field:{n}", PASSED, f"User field “{n}” exists") if n in have else
            probe(f"field:{n}", FAILED, f"User field “{n}” exists", f"ActionKit has no allowed user field “{n}”.",
                  off=needed[n][0], effect=needed[n][1], fix=f"In ActionKit, add the user field “{n}” (Users, then "
                  "User fields).")
            for n in names]


# connection kind -> what its integration relies on; each ActionKit app registers in AppConfig.ready(), so this
# module imports no app. The keys are also the kinds the daily check visits.
NEEDS: dict[str, dict] = {}


def needs_register(kind: str, *, fields_for: Callable, reads: Iterable[str] = tuple(READS), syncs: bool = True) -> None:
    """``fields_for(config)`` -> {user field: (features it turns off, what is lost)}; ``reads`` the resources it
    reads; ``syncs`` whether it polls ActionKit (and so relies on filters, ordering and SQL fallbacks)."""
    NEEDS[kind] = {"fields_for": fields_for, "reads": tuple(reads), "syncs": syncs}


def probe_kwargs(kind: str, config: dict) -> dict:
    """compat_probe's arguments for a connection of ``kind`` with ``config``."""
    needs = NEEDS.get(kind)
    if needs is None:
        return {}
    return {"user_fields": needs["fields_for"](config or {}), "reads": needs["reads"], "syncs": needs["syncs"]}


STATUS_WORDS = {PASSED: "Passed", FAILED: "Failed", UNKNOWN: "Can't tell yet"}


def checklist(result: dict | None) -> dict:
    """What the details pages show: failed rows first, then can't-tell, then passed, each in the check's order."""
    rows = [{**r, "status_words": STATUS_WORDS.get(r.get("status"), r.get("status")), "detail": _detail(r)}
            for r in (result or {}).get("probes", [])]
    order = {FAILED: 0, UNKNOWN: 1, PASSED: 2}
    count = {s: sum(r.get("status") == s for r in rows) for s in order}
    checked = (result or {}).get("checked_at", "")
    return {"checked_at": checked[:16].replace("T", " ") if checked else "", "error": (result or {}).get("error", ""),
            "rows": sorted((r for r in rows if r["status"] != PASSED), key=lambda r: order.get(r.get("status"), 1)),
            "passed_rows": [r for r in rows if r["status"] == PASSED],
            "passed": count[PASSED], "failed": count[FAILED], "unknown": count[UNKNOWN]}


def _detail(row: dict) -> str:
    detail = str(row.get("detail", "")).removeprefix("Can't tell yet: ")  # The badge already says so.
    return detail[:1].upper() + detail[1:]


def recheck_sentence(result: dict | None) -> str:
    """The flash message after "Check again"."""
    if not result or result.get("error"):
        return "Checked ActionKit again; the checklist says what could not be checked."
    failed = sum(r.get("status") == FAILED for r in result.get("probes", []))
    return f"Checked ActionKit again: {failed} failed check{'s' if failed != 1 else ''}." if failed else \
        "Checked ActionKit again: nothing failed."
