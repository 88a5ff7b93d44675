from django.apps import AppConfig


class StriveConfig(AppConfig):
    name = "strive"
    verbose_name = "Members ⇄ ActionKit"

    def ready(self):
        from integrations.registry import Kind, register_kind
        from strive.demo import seed_demo
        from strive.sender import member_send

        register_kind(Kind(slug="strive_actionkit", title="ActionKit member sync",
                           description="Two-way sync of SMS members with ActionKit users, pages, actions and usergroups.",
                           connect_url="strive:connect", detail_url="strive:detail", order=20, send=member_send,
                           extra={"seed_demo": seed_demo}))
