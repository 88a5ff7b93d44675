"""Pages of the activity side. The Groups page is the members side's (strive:groups); `groups_moved` redirects."""

from strive.activity.views.groups import groups_moved
from strive.activity.views.hooks import page_action_hook
from strive.activity.views.pages import actions_page, page_action, page_automation, pages_page
from strive.activity.views.tabs import (
    actionfield_group_delete_view,
    actionfield_groups,
    outbox_page,
    settings_page,
    usergroup_action,
    usergroups_page,
)

__all__ = [
    "actionfield_group_delete_view", "actionfield_groups", "actions_page", "groups_moved",
    "outbox_page", "page_action", "page_action_hook", "page_automation", "pages_page", "settings_page",
    "usergroup_action", "usergroups_page",
]
