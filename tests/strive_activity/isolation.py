"""URL names of the activity pages, with the extra kwargs each needs (a factory taking the cast)."""

URLS = {
    "strive_activity:pages": lambda cast: {},
    "strive_activity:page-action": lambda cast: {"page_id": 1, "action": "sync"},
    "strive_activity:page-automation": lambda cast: {"page_id": 1},
    "strive_activity:actions": lambda cast: {},
    "strive_activity:actionfield-groups": lambda cast: {},
    "strive_activity:actionfield-group-delete": lambda cast: {"rule_id": 1},
    "strive_activity:usergroups": lambda cast: {},
    "strive_activity:usergroup-action": lambda cast: {"usergroup_id": 1, "action": "sync"},
    "strive_activity:outbox": lambda cast: {},
    "strive_activity:settings": lambda cast: {},
    "strive_activity:groups": lambda cast: {},
}
