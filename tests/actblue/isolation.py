URLS = {
    "actblue:connect": lambda cast: {},
    "actblue:detail": lambda cast: {},
    "actblue:settings": lambda cast: {},
    "actblue:disconnect": lambda cast: {},
    "actblue:delivery-retry": lambda cast: {"delivery_id": 1},
    "actblue:backfill": lambda cast: {},
    "actblue:backfill-progress": lambda cast: {"backfill_id": 1},
    "actblue:backfill-cancel": lambda cast: {"backfill_id": 1},
    "actblue:contributions": lambda cast: {},
    "actblue:import": lambda cast: {},
    "actblue:identity": lambda cast: {},
    "actblue:webhook-credentials": lambda cast: {},
}
