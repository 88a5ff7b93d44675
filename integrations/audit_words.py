"""Words for the Activity page: every audit action and change, as a person would say it.

Each ``audit_record(action=...)`` in the codebase has a label here; tests/integrations/test_activity_words.py greps the
code for action names, so a new action without a label fails there. Unknown keys fall back to readable words.
"""

import re

from integrations import registry

ACTION_LABELS = {
    "actblue.csv_imported": "Imported an ActBlue CSV export",
    "actblue.identity_changed": "Changed the ActBlue entity ID",
    "actblue.identity_learned": "Learned the ActBlue entity ID from a webhook",
    "actblue.webhook_created": "Created the webhook credentials",
    "actblue.webhook_rotated": "Generated new webhook credentials",
    "api_key.created": "Created an API key",
    "api_key.revoked": "Revoked an API key",
    "backfill.cancelled": "Cancelled a backfill",
    "backfill.started": "Started a backfill",
    "connection.created": "Connected ActionKit",
    "connection.disconnected": "Disconnected ActionKit",
    "connection.halted": "Paused sending to ActionKit",
    "connection.rate_limit_changed": "Changed the records-per-minute limit",
    "connection.reconnected": "Reconnected ActionKit",
    "connection.settings_changed": "Changed the integration settings",
    "delivery.retried": "Retried a delivery",
    "entity.mfa_optional": "Made two-factor authentication optional",
    "entity.mfa_required": "Required two-factor authentication",
    "entity.paused": "Paused the organization",
    "entity.resumed": "Resumed the organization",
    "entity.signed_up": "Signed up",
    "group.created": "Created a group",
    "group.member_added": "Added a member to a group",
    "group.member_removed": "Removed a member from a group",
    "import.cancelled": "Cancelled an import",
    "import.started": "Started an import",
    "invitation.accepted": "Accepted an invitation",
    "invitation.revoked": "Revoked an invitation",
    "invitation.sent": "Sent an invitation",
    "member.created": "Added a member",
    "member.updated": "Edited a member",
    "members.imported": "Imported members from a file",
    "membership.left": "Left the team",
    "membership.removed": "Removed someone from the team",
    "membership.updated": "Changed someone's role",
    "strive.actionfield_group.created": "Created a group from an action field",
    "strive.automation.deleted": "Deleted an automation",
    "strive.automation.saved": "Saved an automation",
    "strive.field_added": "Mapped a member field",
    "strive.field_option_changed": "Changed how a field syncs",
    "strive.field_removed": "Removed a field mapping",
    "strive.group.deleted": "Deleted a group",
    "strive.page.synced": "Started syncing an ActionKit page",
    "strive.page.unsynced": "Stopped syncing an ActionKit page",
    "strive.sync_activated": "Turned Sync Accounts on",
    "strive.usergroup.synced": "Started syncing an ActionKit user group",
    "strive.usergroup.unsynced": "Stopped syncing an ActionKit user group",
    "strive.webhook_url.regenerated": "Generated a new webhook URL",
}

FIELD_LABELS = {
    "notify_managed": "Notify for All Managed Pages",
    "records_per_minute": "Records per minute",
    "entity_ids": "ActBlue entity IDs",
    "committee_name": "Committee name",
    "integrations_permission": "May manage integrations",
    "sync_option": "Sync rule",
    "userfield": "ActionKit user field",
    "opt_in_field": "Opt-in field",
    "phone_types": "Phone types",
    "create_users": "Create ActionKit users",
    "sync_accounts": "Sync Accounts",
    "primary_group_id": "Primary group",
    "import_page": "Import page",
    "email_subscription": "Subscribe donors",
    "date_from": "From",
    "date_to": "To",
    "bad_rows": "Rows with errors",
    "zip": "ZIP code",
}

# Yes/no settings read better in the words their form uses.
BOOLEAN_WORDS = {"notify_managed": ("Send", "Don't send"), "enabled": ("On", "Off"), "sync_accounts": ("On", "Off")}

# "page Spring rally" -> Page “Spring rally”: the prefixes services put before a name in `target`.
TARGET_PREFIXES = {"page": "Page", "group": "Group", "usergroup": "User group", "backfill": "Backfill",
                   "connection": "Connection"}
_OUTBOX_KEY = re.compile(r"^[a-z_]+:(?P<event>[a-z_]+):(?P<ref>[^:]+)")  # app:event:id[:...], as delivery keys are.


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or action.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def target_label(target: str) -> str:
    """What an event acted on, in words: a kind's title, not ``strive_actionkit``; ``Member 12``, not an outbox key."""
    target = str(target or "")
    try:
        return registry.get_kind(target).title
    except LookupError:
        pass
    prefix, _, name = target.partition(" ")
    if prefix in TARGET_PREFIXES and name:
        return f"{TARGET_PREFIXES[prefix]} #{name}" if name.isdigit() else f"{TARGET_PREFIXES[prefix]} “{name}”"
    key = _OUTBOX_KEY.match(target)
    if key:
        return f"{key['event'].replace('_', ' ').capitalize()} {key['ref']}"
    return target


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()


def value_words(key: str, value) -> str:
    if isinstance(value, bool):
        yes, no = BOOLEAN_WORDS.get(key, ("Yes", "No"))
        return yes if value else no
    if value in (None, "", [], {}):
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(value_words(key, v) for v in value)
    return str(value)


def change_lines(changes: dict) -> list[tuple[str, str]]:
    """``{"notify_managed": [False, True]}`` -> ``[("Notify for All Managed Pages", "Don't send → Send")]``.

    A two-item list is a before/after pair, as connection_update_config and the other services record it.
    """
    lines = []
    for key, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            text = f"{value_words(key, value[0])} → {value_words(key, value[1])}"
        else:
            text = value_words(key, value)
        lines.append((field_label(key), text))
    return lines
