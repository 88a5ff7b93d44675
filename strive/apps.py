from dataclasses import replace

from django.apps import AppConfig


class StriveConfig(AppConfig):
    name = "strive"
    verbose_name = "Members ⇄ ActionKit"

    def ready(self):
        from actionkit.compat import needs_register
        from integrations.registry import register_kind
        from strive.demo import seed_demo
        from strive.kind import DECLARED_KIND
        from strive.sender import member_send
        from strive.services.config import compat_fields
        from strive.services.imports import import_rows

        register_kind(replace(DECLARED_KIND, send=member_send, seed_demo=seed_demo, import_rows=import_rows))
        needs_register(DECLARED_KIND.slug, fields_for=compat_fields)
