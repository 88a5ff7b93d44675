"""ActionKitClient: the public methods other code calls. HTTP details live in ``actionkit.http``.

Points no public source confirms (**unverified** in docs/actionkit-compatibility.md, whose rows the comments
name) each live in exactly one method, with a comment saying so, so a fix after checking a live instance touches
one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from actionkit import errors
from actionkit.fields import ACTION_CORE_FIELDS
from actionkit.http import MAX_PAGE_SIZE, BaseClient

API = "/rest/v1/"
ACTBLUE_WEBHOOK_PATH = "/webhooks/actblue/payments/"


def ak_timestamp(value: datetime) -> str:
    """Naive UTC ISO format, the form every ActionKit endpoint accepts (some reject an offset)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


class ActionKitClient(BaseClient):
    """One tenant's ActionKit instance. Raises ``actionkit.errors.ActionKitError`` subclasses."""

    def verify_credentials(self) -> None:
        """GET the API root; raises ActionKitUnauthorized on bad credentials."""
        self._request("GET", API)

    def actblue_notify(self, *, account: str, notification: dict, backfill: bool = False) -> dict:
        """POST one ActBlue-format line-item notification to AK's ActBlue webhook endpoint."""
        params = {"account": account, **({"backfill": "1"} if backfill else {})}
        response = self._request("POST", ACTBLUE_WEBHOOK_PATH, params=params, json_body=notification)
        return {"status_code": response.status_code, "body": response.body, "location": response.location}

    # Users -------------------------------------------------------------------------------------------------

    def users_updated_since(self, since: datetime | None, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict]:
        # Unverified (compatibility row 7): whether updated_at__gte is filterable on user. Only this method assumes it.
        return self._paginate(API + "user/", _since_params(since), page_size=page_size)

    def users_total(self) -> int | None:
        """How many users the instance holds (tastypie's ``meta.total_count``), or None when it is not sent."""
        body = self._request("GET", API + "user/", params={"_limit": 1}).body
        meta = body.get("meta") if isinstance(body, dict) else None
        total = meta.get("total_count") if isinstance(meta, dict) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def user_get(self, user_id: int) -> dict:
        return self._request("GET", f"{API}user/{int(user_id)}/").body

    def user_by_email(self, email: str) -> dict | None:
        objects = self._request("GET", API + "user/", params={"email": email, "_limit": 1}).body.get("objects")
        return objects[0] if objects else None

    def user_phones(self, user_id: int) -> list[dict]:
        return [
            {**p, "type": p.get("type"), "phone": p.get("phone"), "normalized_phone": p.get("normalized_phone")}
            for p in self._paginate(API + "phone/", {"user": int(user_id)})
        ]

    def phones_updated_since(self, since: datetime | None, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict]:
        """Phone rows in (updated_at, id) order with the owning user's id added as ``user_id``: one request per
        page of phones instead of one request per user."""
        # Unverified (compatibility row 7): whether updated_at__gte is filterable on phone. Only this method assumes it.
        for phone in self._paginate(API + "phone/", _since_params(since), page_size=page_size):
            yield {**phone, "user_id": errors.id_from_uri(phone.get("user"))}

    def users_field_changed_since(self, since: datetime | None, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict]:
        """Users whose custom fields changed after ``since`` while their own ``updated_at`` did not move (Django's
        auto_now stamps only the row saved, so a userfield write may leave the user alone), read through the SQL
        report endpoint, in (change time, id) order. Each user's ``updated_at`` is replaced by that change time so
        a poll cursor can follow it. Nothing before a first cursor: the user scan covers history."""
        # Unverified: core_userfield having its own updated_at column (the sandbox's, and AK's table convention).
        if since is None:
            return
        query = ("SELECT f.parent_id, MAX(f.updated_at) FROM core_userfield f JOIN core_user u ON u.id = f.parent_id "
                 "WHERE f.updated_at >= {{ since }} AND f.updated_at > u.updated_at "
                 "GROUP BY f.parent_id ORDER BY MAX(f.updated_at), f.parent_id")
        for user_id, changed in self._sql_pages(query, page_size=page_size, since=ak_timestamp(since)):
            try:
                user = self.user_get(int(user_id))
            except errors.ActionKitNotFound:
                continue  # Deleted since; the next scan of users does not list it either.
            yield {**user, "updated_at": changed}

    def allowed_user_fields(self) -> list[dict]:
        return list(self._paginate(API + "alloweduserfield/"))

    def user_field_values(self, user_id: int) -> dict[str, str]:
        """Custom field values from ``userfield/?user=``; a multi-valued field keeps its last row."""
        return {row["name"]: row.get("value", "") for row in self._paginate(API + "userfield/", {"user": int(user_id)})}

    # Pages and actions ---------------------------------------------------------------------------------------

    def pages_updated_since(self, since: datetime | None) -> Iterator[dict]:
        # Unverified (compatibility row 7): updated_at__gte on the generic page list.
        return self._paginate(API + "page/", _since_params(since))

    def actions_updated_since(self, since: datetime | None, *, page_ids: list[int] | None = None) -> Iterator[dict]:
        # Unverified (compatibility rows 7, 8): updated_at__gte on action; page__in (tastypie splits __in on commas).
        # One page id is sent as page=<id> (used publicly [akwh]): the fallback when page__in is not honoured.
        params = _since_params(since)
        if page_ids and len(page_ids) == 1:
            params["page"] = int(page_ids[0])
        elif page_ids:
            params["page__in"] = ",".join(str(int(p)) for p in page_ids)
        for action in self._paginate(API + "action/", params):
            yield {
                **action,
                "fields": action.get("fields") or {},
                "user_id": errors.id_from_uri(action.get("user")),
                "page_id": errors.id_from_uri(action.get("page")),
            }

    def import_page_ensure(self, *, name: str, title: str) -> dict:
        """Create the import page, or return the existing one with that short name."""
        try:
            response = self._request("POST", API + "importpage/", json_body={"name": name, "title": title})
        except errors.ActionKitValidationError as exc:
            if not any("already exists" in m for m in exc.field_errors.get("name", [])):
                raise
            found = self._request("GET", API + "importpage/", params={"name": name}).body.get("objects") or []
            if not found:
                raise
            return {**found[0], "id": found[0].get("id"), "created": False}
        page_id = errors.id_from_uri(response.location) or (response.body or {}).get("id")
        return {
            **(response.body or {}),
            "id": page_id,
            "name": name,
            "title": title,
            "resource_uri": f"{API}importpage/{page_id}/",
            "created": True,
        }

    def action_process(
        self,
        *,
        page: str,
        email: str,
        core: dict[str, str] | None = None,
        user_fields: dict[str, str] | None = None,
        action_fields: dict[str, str] | None = None,
        source: str | None = None,
    ) -> dict:
        """Action processing: find or create the user by email, apply fields, record an action on ``page``."""
        # Unverified: whether POST /action/ accepts undefined user_* fields (we define fields before first use).
        body = {"page": page, "email": email}
        body.update({k: v for k, v in (core or {}).items() if k in ACTION_CORE_FIELDS})
        body.update({f"user_{k}": v for k, v in (user_fields or {}).items()})
        body.update({f"action_{k}": v for k, v in (action_fields or {}).items()})
        if source:
            body["source"] = source
        response = self._request("POST", API + "action/", json_body=body)
        data = response.body or {}
        return {
            **data,
            "action_id": data.get("id") or errors.id_from_uri(response.location),
            "user_id": errors.id_from_uri(data.get("user")),
            "created_user": bool(data.get("created_user")),
            "location": response.location,
        }

    # Usergroups ----------------------------------------------------------------------------------------------

    def usergroups(self) -> Iterator[dict]:
        """Usergroups, each with an integer ``id``: taken from ``resource_uri`` when the object has none, the
        shape {"name", "resource_uri"} that WeMove's client reads."""
        for group in self._paginate(API + "usergroup/"):
            yield {**group, "id": group.get("id") or errors.id_from_uri(group.get("resource_uri"))}

    def usergroup_member_ids(self, usergroup_id: int, *, via_sql: bool = False) -> Iterator[int]:
        """Ids of a usergroup's members: ``user/?groups=`` or, when the compatibility check found that filter
        ignored (``via_sql``), the membership table through the SQL report endpoint."""
        if via_sql:
            # Unverified (compatibility row 9): the membership table's name; Django's default for a User.groups M2M.
            query = "SELECT user_id FROM core_user_groups WHERE usergroup_id = {{ group }} ORDER BY user_id"
            yield from (int(row[0]) for row in self._sql_pages(query, group=int(usergroup_id)))
            return
        # Unverified (compatibility row 9): we assume user objects carry "groups" URIs that tastypie lets us filter on.
        # tastypie drops a filter on a field the resource lacks and returns every user, so a user counts as a
        # member only when its own "groups" names the group: an unknown filter then yields nobody, not everyone.
        for user in self._paginate(API + "user/", {"groups": int(usergroup_id), "order_by": "id"}):
            if int(usergroup_id) in {errors.id_from_uri(uri) for uri in _group_uris(user)}:
                yield int(user["id"])

    def usergroup_add_user(self, usergroup_id: int, user_id: int) -> None:
        # Unverified (compatibility row 10): membership written by PATCHing the user's full "groups" list.
        user = self.user_get(user_id)
        groups = _group_uris(user)
        uri = f"{API}usergroup/{int(usergroup_id)}/"
        if uri not in groups:
            self._request("PATCH", f"{API}user/{int(user_id)}/", json_body={"groups": [*groups, uri]})


    # Compatibility probes and the SQL report endpoint ----------------------------------------------------------

    def probe_list(self, resource: str, params: dict | None = None) -> dict:
        """The first two objects of ``resource`` under ``params``: ``{"total": meta.total_count or None, "ids"}``,
        what the compatibility check compares (actionkit.compat)."""
        body = self._request("GET", f"{API}{resource}/", params={**(params or {}), "_limit": 2}, cost=2).body
        if not isinstance(body, dict) or not isinstance(body.get("objects"), list):
            raise errors.ActionKitError("ActionKit sent an unexpected list response.")
        total = (body.get("meta") or {}).get("total_count")
        ids = [o.get("id") or errors.id_from_uri(o.get("resource_uri")) or o.get("name") for o in body["objects"]]
        return {"total": total if isinstance(total, int) and not isinstance(total, bool) else None, "ids": ids}

    def sql_rows(self, query: str, **params) -> list[list]:
        """``POST report/run/sql/`` (ActionKit's documented SQL report endpoint) with ``refresh``, so a cached answer is never read as fresh.
        ``{{ name }}`` placeholders in the query take the keyword arguments. Needs report permission."""
        body = {"query": query, "refresh": True, "cache_duration": 60, **params}
        rows = self._request("POST", API + "report/run/sql/", json_body=body).body
        if not isinstance(rows, list):
            raise errors.ActionKitError("ActionKit's SQL report sent an unexpected answer.")
        return [row if isinstance(row, list) else list(row.values()) if isinstance(row, dict) else [row]
                for row in rows]

    def _sql_pages(self, query: str, *, page_size: int = MAX_PAGE_SIZE, **params) -> Iterator[list]:
        """Rows of an ordered query, one LIMIT/OFFSET page at a time."""
        size, offset = max(1, min(int(page_size), MAX_PAGE_SIZE)), 0
        while True:
            rows = self.sql_rows(f"{query} LIMIT {{{{ limit }}}} OFFSET {{{{ offset }}}}", limit=size, offset=offset,
                                 **params)
            yield from rows
            if len(rows) < size:
                return
            offset += size


def _group_uris(user: dict) -> list[str]:
    """A user's "groups" as URIs; entries can be URI strings or {"name", "resource_uri"} objects (akcli fixture)."""
    return [g if isinstance(g, str) else (g or {}).get("resource_uri") for g in user.get("groups") or []]


def _since_params(since: datetime | None) -> dict:
    params: dict = {"order_by": ["updated_at", "id"]}
    if since is not None:
        params["updated_at__gte"] = ak_timestamp(since)
    return params
