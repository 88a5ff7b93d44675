"""The ActBlue integration as the hub sees it, and the names the app's modules share.

DECLARED_KIND is everything the kind is but its hooks; ActBlueConfig.ready() attaches `send` and
`prepare_batch`, the backfill planner and the demo seeder and registers it. The hooks' modules import the names
below, so this one cannot import them.
"""

from integrations.registry import Kind, NavLink, Tab

KIND = "actblue_actionkit"
DEFAULT_ACCOUNT = "Default ActBlue"  # The article: a blank Account Name means this.

# Connection.config keys (shown on pages; the password lives in Connection.secrets["password"]).
CONFIG_USERNAME = "username"
CONFIG_ACCOUNT = "account"
CONFIG_NOTIFY_MANAGED = "notify_managed"

EVENT_TYPES = ("contribution", "refund", "cancellation")

DECLARED_KIND = Kind(
    slug=KIND, title="ActionKit", order=10,
    description="Contributions, refunds and recurring cancellations flow to ActionKit automatically.",
    connect_url="actblue:connect", detail_url="actblue:detail", import_url="actblue:import",
    nav=(NavLink("Contributions", "actblue:contributions", order=30),),
    tabs=(Tab("detail", "Details", "actblue:detail"),
          Tab("settings", "Settings", "actblue:settings", needs_active_connection=True),
          Tab("backfill", "Historical data", "actblue:backfill", needs_active_connection=True),
          Tab("contributions", "Contributions", "actblue:contributions"),
          Tab("identity", "Your entity", "actblue:identity")),
)


def compat_fields(config: dict) -> dict:
    """User fields ActionKit's ActBlue processing fills (employer, occupation, express lane) for the compatibility
    check (actionkit.compat): a missing one turns nothing off here, but ActionKit cannot keep that value."""
    return {name: ((), f"Contributions still go through, but ActionKit cannot keep the donor's {words}.")
            for name, words in (("employer", "employer"), ("occupation", "occupation"),
                                ("express_lane", "Express Lane status"))}
