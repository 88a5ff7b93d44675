from django.apps import AppConfig


class ActBlueConfig(AppConfig):
    name = "actblue"
    verbose_name = "Contributions → ActionKit"

    def ready(self):
        from integrations.registry import Kind, register_kind

        register_kind(Kind(slug="actblue_actionkit", title="ActionKit",
                           description="Contributions, refunds and recurring cancellations flow to ActionKit automatically.",
                           connect_url="actblue:connect", detail_url="actblue:detail", order=10))
