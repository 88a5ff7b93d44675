"""The toy kind as the hub sees it; the hooks are attached where ready() would attach them (test_toykind.py)."""

from integrations.registry import Kind, NavLink, Tab

KIND = "toy"

DECLARED_KIND = Kind(
    slug=KIND, title="Toy", order=90, description="A test-only kind that sends nowhere.",
    connect_url="toykind:connect", detail_url="toykind:detail",
    nav=(NavLink("Toys", "toykind:detail", order=90),),
    tabs=(Tab("detail", "Details", "toykind:detail"),
          Tab("settings", "Settings", "toykind:settings", needs_active_connection=True)),
)
