URLS = {
    "actblue:connect": lambda cast: {},
    "actblue:detail": lambda cast: {},
    "actblue:contributions": lambda cast: {},
}
