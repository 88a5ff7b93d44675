"""The member-sync settings kept in Connection.config, read into one typed object."""

from dataclasses import dataclass, field

from integrations.models import Connection
from strive.kind import KIND

DEFAULT_PHONE_TYPES = ["mobile", "work", "home"]
PHONE_TYPE_CHOICES = ["mobile", "work", "home"]
DEFAULT_OPT_IN_FIELD = "sms_opt_in"
PRIMARY_GROUP_NAME = "ActionKit Integration"
# New connections get these; a connection activated earlier keeps the name stored in its config["import_page"].
IMPORT_PAGE_NAME = "akbridge_member_sync"
IMPORT_PAGE_TITLE = "AKbridge member sync (import page)"


@dataclass(frozen=True)
class SyncSettings:
    opt_in_field: str = DEFAULT_OPT_IN_FIELD
    phone_types: list[str] = field(default_factory=lambda: list(DEFAULT_PHONE_TYPES))
    sync_accounts: bool = False
    create_users: bool = False
    primary_group_id: int | None = None
    import_page: str = IMPORT_PAGE_NAME

    @property
    def active(self) -> bool:
        return self.sync_accounts


def sync_settings(connection: Connection) -> SyncSettings:
    config = connection.config or {}
    return SyncSettings(
        opt_in_field=config.get("opt_in_field") or DEFAULT_OPT_IN_FIELD,
        phone_types=list(config.get("phone_types") or DEFAULT_PHONE_TYPES),
        sync_accounts=bool(config.get("sync_accounts")) and connection.is_active,
        create_users=bool(config.get("create_users")),
        primary_group_id=config.get("primary_group_id"),
        import_page=config.get("import_page") or IMPORT_PAGE_NAME,
    )


def connection_for_entity(entity) -> Connection | None:
    return Connection.objects.filter(entity=entity, kind=KIND).first()


def compat_fields(config: dict) -> dict:
    """The opt-in userfield, for the compatibility check (actionkit.compat): without it every user would read as
    not opted in, so member sync stops instead."""
    name = (config or {}).get("opt_in_field") or DEFAULT_OPT_IN_FIELD
    return {name: (("members",), "Turns off: Member sync from ActionKit (opt-in status cannot be read).")}
