"""Field mappings: the six core fields appear on connect with "populate"; custom text fields map to userfields."""

from dataclasses import dataclass

from django.db import transaction

from integrations.services.audit import audit_record
from strive.models import CustomField, FieldMapping
from strive.syncrules import DEFAULT_OPTION, EMAIL_OPTIONS, SYNC_OPTION_LABELS, SyncOption

CORE_LABELS = {"first_name": "First Name", "last_name": "Last Name", "email": "Email", "city": "City",
               "state": "State", "zip": "Zipcode"}


class MappingInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Mapping:
    """What the sync engine needs from a FieldMapping row, without the ORM."""

    member_field: str
    ak_field: str
    is_core: bool
    option: SyncOption


def allowed_options(member_field: str, *, is_core: bool) -> list[SyncOption]:
    if is_core and member_field == "email":
        return list(EMAIL_OPTIONS)
    return list(SyncOption)


def core_mappings_ensure(*, connection) -> None:
    """Idempotent: create the missing core-field rows with the default option, keep edited ones."""
    for name in FieldMapping.CORE_FIELDS:
        FieldMapping.objects.get_or_create(connection=connection, member_field=name,
                                           defaults={"ak_field": name, "is_core": True, "sync_option": DEFAULT_OPTION})


def mappings_for(connection) -> list[Mapping]:
    return [Mapping(m.member_field, m.ak_field, m.is_core, SyncOption(m.sync_option))
            for m in FieldMapping.objects.filter(connection=connection).order_by("id")]


@transaction.atomic
def mapping_set_option(*, mapping: FieldMapping, option: str, actor) -> FieldMapping:
    if option not in allowed_options(mapping.member_field, is_core=mapping.is_core):
        raise MappingInvalid("Email can only use “Populate, no overwrite” or “One-way, overwrite members”: "
                             "ActionKit's email is its unique key and AKbridge never changes it there.")
    before = mapping.sync_option
    mapping.sync_option = option
    mapping.save(update_fields=["sync_option", "updated_at"])
    audit_record(entity=mapping.connection.entity, actor=actor, action="strive.field_option_changed",
                 target=mapping.member_field, changes={"sync_option": [_label(before), _label(option)]})
    return mapping


@transaction.atomic
def mapping_add_custom(*, connection, member_field: str, ak_field: str, option: str, allowed_userfields: list[str],
                       actor) -> FieldMapping:
    """Map a custom text field to an ActionKit userfield the instance allows."""
    member_field, ak_field = member_field.strip(), ak_field.strip()
    custom = CustomField.objects.filter(entity=connection.entity, name=member_field).first()
    if custom is None:
        raise MappingInvalid(f"There is no custom field “{member_field}”; create it under Members › Custom fields.")
    if custom.field_type != CustomField.Type.TEXT:
        raise MappingInvalid(f"“{custom.label}” is a {custom.get_field_type_display().lower()} field; ActionKit "
                             "userfields are text, so only text fields can sync.")
    if ak_field == (connection.config.get("opt_in_field") or "sms_opt_in"):
        raise MappingInvalid(f"“{ak_field}” holds SMS opt-in (Settings › Opt-in Field Sync); it cannot map a custom field.")
    if ak_field not in allowed_userfields:
        raise MappingInvalid(f"ActionKit has no userfield “{ak_field}”; pick one of the instance's userfields.")
    if FieldMapping.objects.filter(connection=connection, member_field=member_field).exists():
        raise MappingInvalid(f"The custom field “{member_field}” is already mapped.")
    if FieldMapping.objects.filter(connection=connection, ak_field=ak_field).exists():
        raise MappingInvalid(f"The userfield “{ak_field}” is already mapped to another field.")
    option = SyncOption(option)
    mapping = FieldMapping.objects.create(connection=connection, member_field=member_field, ak_field=ak_field,
                                          is_core=False, sync_option=option)
    audit_record(entity=connection.entity, actor=actor, action="strive.field_added", target=member_field,
                 changes={"userfield": ak_field, "sync_option": _label(option)})
    return mapping


@transaction.atomic
def mapping_remove(*, mapping: FieldMapping, actor) -> None:
    if mapping.is_core:
        raise MappingInvalid("Core fields are always synced; change their sync option instead.")
    audit_record(entity=mapping.connection.entity, actor=actor, action="strive.field_removed",
                 target=mapping.member_field, changes={"userfield": mapping.ak_field})
    mapping.delete()


def _label(option: str) -> str:
    return SYNC_OPTION_LABELS.get(option, option)
