"""The tabs of the ActionKit integration's details page. Other modules append to TABS (see strive/README.md)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    slug: str  # Matches the `active_tab` a view passes to the template.
    label: str
    url_name: str  # Reversed with entity_slug only.
    order: int = 100


TABS: list[Tab] = [
    Tab("overview", "Overview", "strive:detail", 10),
    Tab("fields", "Fields", "strive:fields", 20),
    Tab("settings", "Settings", "strive:settings", 30),
    Tab("users", "Users", "strive:users", 40),
]


def tab_register(tab: Tab) -> None:
    if all(existing.slug != tab.slug for existing in TABS):
        TABS.append(tab)


def tabs_sorted() -> list[Tab]:
    return sorted(TABS, key=lambda tab: tab.order)
