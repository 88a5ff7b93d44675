"""Pages of the activity side. `groups_page` replaces the members side's simple Groups page."""

from strive.activity.views.groups import group_delete_view, groups_page
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
    "actionfield_group_delete_view", "actionfield_groups", "actions_page", "group_delete_view", "groups_page",
    "outbox_page", "page_action", "page_action_hook", "page_automation", "pages_page", "settings_page",
    "usergroup_action", "usergroups_page",
]
