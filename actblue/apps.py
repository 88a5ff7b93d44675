from django.apps import AppConfig


class ActBlueConfig(AppConfig):
    name = "actblue"
    verbose_name = "Contributions → ActionKit"

    def ready(self):
        from actblue.demo import seed_demo
        from actblue.kind import KIND
        from actblue.sender import actblue_send
        from actblue.services.backfill import plan_backfill_chunk
        from integrations.registry import Kind, register_kind

        register_kind(Kind(slug=KIND, title="ActionKit",
                           description="Contributions, refunds and recurring cancellations flow to ActionKit automatically.",
                           connect_url="actblue:connect", detail_url="actblue:detail", order=10,
                           send=actblue_send, plan_backfill_chunk=plan_backfill_chunk, extra={"seed_demo": seed_demo}))
