from dataclasses import replace

from django.apps import AppConfig


class ActBlueConfig(AppConfig):
    name = "actblue"
    verbose_name = "Contributions → ActionKit"

    def ready(self):
        from actblue.demo import seed_demo
        from actblue.kind import DECLARED_KIND, compat_fields
        from actblue.sender import actblue_send, notifications_for
        from actblue.services.backfill import plan_backfill_chunk
        from actblue.services.csv_jobs import import_rows
        from actionkit.compat import needs_register
        from integrations.registry import register_kind

        register_kind(replace(DECLARED_KIND, send=actblue_send, prepare_batch=notifications_for,
                              plan_backfill_chunk=plan_backfill_chunk, seed_demo=seed_demo, import_rows=import_rows))
        # ActBlue notifications go to AK's own webhook; only the user fields it fills are probed (and read).
        needs_register(DECLARED_KIND.slug, fields_for=compat_fields, reads=("alloweduserfield",), syncs=False)
