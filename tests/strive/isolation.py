URLS = {
    "strive:connect": lambda cast: {},
    "strive:detail": lambda cast: {},
    "strive:members": lambda cast: {},
    "strive:groups": lambda cast: {},
}
