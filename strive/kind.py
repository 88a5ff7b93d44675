"""The member sync as the hub sees it; its slug is written here only.

DECLARED_KIND is everything the kind is but its hooks; StriveConfig.ready() attaches `send` and the demo seeder
and registers it. The hooks' modules import KIND from here, so this one cannot import them. The tabs include the
activity side's pages (strive/activity/), which share the details page's frame.
"""

from integrations.registry import Kind, NavLink, Tab

KIND = "strive_actionkit"

DECLARED_KIND = Kind(
    slug=KIND, title="ActionKit member sync", order=20,
    description="Two-way sync of SMS members with ActionKit users, pages, actions and usergroups.",
    connect_url="strive:connect", detail_url="strive:detail", import_url="strive:member-import",
    nav=(NavLink("Members", "strive:members", order=10), NavLink("Groups", "strive:groups", order=20)),
    tabs=(Tab("overview", "Overview", "strive:detail"),
          Tab("fields", "Fields", "strive:fields"),
          Tab("settings", "Settings", "strive:settings"),
          Tab("users", "Users", "strive:users"),
          Tab("pages", "Pages", "strive_activity:pages"),
          Tab("actions", "Actions", "strive_activity:actions"),
          Tab("actionfield-groups", "ActionField Groups", "strive_activity:actionfield-groups"),
          Tab("usergroups", "Usergroups", "strive_activity:usergroups"),
          Tab("outbox", "Outbox", "strive_activity:outbox"),
          Tab("webhook", "Webhook & polls", "strive_activity:settings")),
)
