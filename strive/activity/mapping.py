"""Pure functions from ActionKit shapes to ours: no ORM, HTTP or clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from integrations.ids import id_from_text, id_in_range

MERGE_FIELD = re.compile(r"{{\s*([a-z_][a-z0-9_]*)\s*}}")
PAGE_SHORT_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")  # ActionKit's page short name: a slug.
MAX_FIELD_VALUE = 2000  # Characters kept per actionfield value; AK stores TEXT but our search needs no more.


class WebhookBodyError(ValueError):
    """The reason a page-webhook body was refused, safe to show the sender (it names keys, never values)."""


@dataclass(frozen=True)
class ActionIn:
    ak_id: int
    page_ak_id: int
    ak_user_id: int
    fields: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    page_name: str = ""  # A webhook may name the page by short name; page_ak_id is then 0 until it is resolved.


def parse_ak_time(value: Any) -> datetime | None:
    """ActionKit prints naive UTC ("2026-11-22T19:40:00.123456"); an offset, if any, is honoured."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ref_id(data: dict, *keys: str, nested: bool = True) -> int | None:
    """An id given as a number, a numeric string or a resource URI, under the first key present. None when that
    is not a positive id a BigIntegerField holds ("²", 10**30, 2**63), so a body with one is refused, not stored."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool) or value in (None, ""):
            continue
        if isinstance(value, int):
            return id_in_range(value)
        if isinstance(value, str):
            return id_from_text(value.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])  # "12" or ".../user/12/"
        if isinstance(value, dict) and nested:  # {"id": 12} or {"resource_uri": ...}, one level only.
            return _ref_id(value, "id", "resource_uri", nested=False)
    return None


def clean_fields(raw: Any) -> dict[str, str]:
    """Actionfields as name -> text; multi-valued fields are joined, since AK allows repeated names."""
    if not isinstance(raw, dict):
        return {}
    cleaned = {}
    for name, value in raw.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        cleaned[str(name)[:200]] = "" if value is None else str(value)[:MAX_FIELD_VALUE]
    return cleaned


def action_from_ak(data: dict) -> ActionIn | None:
    """One action from the REST API (or a webhook body of the same shape); None when an id is missing."""
    ak_id = _ref_id(data, "id", "action_id", "resource_uri")
    page = _ref_id(data, "page_id", "page")
    user = _ref_id(data, "user_id", "user")
    if ak_id is None or page is None or user is None:
        return None
    return ActionIn(ak_id=ak_id, page_ak_id=page, ak_user_id=user, fields=clean_fields(data.get("fields")),
                    created_at=parse_ak_time(data.get("created_at")), updated_at=parse_ak_time(data.get("updated_at")))


def webhook_body_to_action(body: Any) -> ActionIn:
    """Accept an action object, `{"action": {...}}`, or a flat form post (action_<name> keys become fields).

    Raises WebhookBodyError naming what is missing; the message never echoes a value.
    """
    if not isinstance(body, dict):
        raise WebhookBodyError("The body must be a JSON object or a form post.")
    data = body.get("action") if isinstance(body.get("action"), dict) else body
    if "fields" not in data:
        data = {**data, "fields": {k[7:]: v for k, v in data.items() if k.startswith("action_") and k != "action_id"}}
    name = page_short_name(data)
    if name:  # Resolved against the connection's own pages when the body is processed.
        data = {**data, "page_id": 0, "page": None}
    missing = [key for key, keys in (("id", ("id", "action_id", "resource_uri")), ("page", ("page_id", "page")),
                                     ("user", ("user_id", "user"))) if _ref_id(data, *keys) is None
               and not (key == "page" and name)]
    if missing:
        raise WebhookBodyError(f"Missing or unreadable: {', '.join(missing)} (ids, /rest/v1/ URIs or a page short "
                               "name).")
    if not name:
        return action_from_ak(data)
    return replace(action_from_ak({**data, "page_id": 1}), page_ak_id=0, page_name=name)  # 1: a stand-in id.


def page_short_name(data: dict) -> str:
    """The page's short name when the body names the page by it (``page``, or ``page_name``), not by id or URI."""
    if _ref_id(data, "page_id", "page") is not None:
        return ""
    for key in ("page", "page_name"):
        value = data.get(key)
        if isinstance(value, str) and PAGE_SHORT_NAME.fullmatch(value.strip()):
            return value.strip()
    return ""


def field_matches(fields: dict[str, str], *, name: str, value: str) -> bool:
    """An ActionField group rule: the field is present and, when a value is set, contains it (ignoring case)."""
    if name not in fields:
        return False
    return not value or value.casefold() in str(fields[name]).casefold()


def search_text(action: ActionIn) -> str:
    return " ".join([str(action.ak_user_id), *(f"{k} {v}" for k, v in action.fields.items())]).casefold()[:4000]


def render_template(template: str, context: dict[str, Any]) -> str:
    """Replace {{name}} merge fields; unknown names become empty, so a typo never sends the braces."""
    return MERGE_FIELD.sub(lambda m: str(context.get(m.group(1), "") or ""), template)


def merge_context(*, member, page, action_fields: dict[str, str]) -> dict[str, str]:
    """Merge fields a template may use: the member's core fields, the page's, and every actionfield by name."""
    context = {f"action_{k}": v for k, v in action_fields.items()}
    context.update({
        "first_name": member.first_name, "last_name": member.last_name, "city": member.city,
        "state": member.state, "zip": member.zip, "phone": member.phone, "email": member.email,
        "page_name": page.name, "page_title": page.title or page.name,
    })
    return context


MERGE_FIELD_HELP = ("first_name, last_name, city, state, zip, phone, email, page_name, page_title, "
                    "and action_<field> for any actionfield")
