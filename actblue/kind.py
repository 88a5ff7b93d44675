"""Names shared by the ActBlue app: the registry kind and the connection's config keys."""

KIND = "actblue_actionkit"
DEFAULT_ACCOUNT = "Default ActBlue"  # The article: a blank Account Name means this.

# Connection.config keys (shown on pages; the password lives in Connection.secrets["password"]).
CONFIG_USERNAME = "username"
CONFIG_ACCOUNT = "account"
CONFIG_NOTIFY_MANAGED = "notify_managed"

EVENT_TYPES = ("contribution", "refund", "cancellation")
