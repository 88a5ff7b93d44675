"""ActionKit's core user fields, listed once for the client and for the sandbox that imitates ActionKit."""

# Core columns of an ActionKit user besides email.
USER_CORE_FIELDS = (
    "prefix", "first_name", "middle_name", "last_name", "suffix", "address1", "address2", "city", "state", "zip",
    "plus4", "postal", "region", "country", "lang",
)
# What action processing (POST /action/) takes as core fields: the user columns without plus4, plus the phone,
# which an action stores on the user's phone list rather than on the user row.
ACTION_CORE_FIELDS = frozenset(USER_CORE_FIELDS) - {"plus4"} | {"phone"}
