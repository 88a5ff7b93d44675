"""Integration kinds register here from their AppConfig.ready(); the hub never imports a vendor app.

A kind tells the hub how to show its tile, its links in the top navigation and the tabs of its details pages,
and how to send one delivery. `send` returns an Outcome, so the hub's retry, halt and status rules stay the same
for every vendor; `prepare_batch`, when a kind has one, reads what a batch of sends needs at once.
docs/adding-a-kind.md walks through adding one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrations.models import Backfill, Connection, Delivery, ImportJob


@dataclass(frozen=True)
class Outcome:
    SUCCESS = "success"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    HALT = "halt"

    kind: str
    status_code: int | None = None
    detail: str = ""
    remote_ref: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class BackfillChunk:
    planned: int  # Deliveries this chunk added or reopened.
    last_source_id: int  # Cursor: planning resumes after it.
    done: bool


@dataclass(frozen=True)
class ImportChunk:
    """What a kind's `import_rows` made of one chunk of an import's rows."""

    recorded: int = 0  # Rows that wrote something new.
    existing: int = 0  # Rows already recorded: nothing written.
    errors: tuple[tuple[int, str], ...] = ()  # (file line, reason) for each row refused; the other rows are kept.


@dataclass(frozen=True)
class NavLink:
    """A link in the entity's top navigation (templates/base.html); the URL name is reversed with entity_slug."""

    label: str
    url_name: str
    order: int = 100  # Across every kind's links, so the menu reads the same whatever the apps' order.


@dataclass(frozen=True)
class Tab:
    """A tab of the kind's details pages, shown in the order declared; `slug` names it to `{% kind_tabs %}`."""

    slug: str
    label: str
    url_name: str  # Reversed with entity_slug only.
    needs_active_connection: bool = False  # Hidden unless the page's connection is active.


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str
    description: str
    connect_url: str  # URL name; reversed with entity_slug.
    detail_url: str
    order: int = 100
    # send(connection, delivery) -> Outcome sends one claimed row. With prepare_batch, a row it prepared is sent
    # as send(connection, delivery, payload) instead.
    send: Callable[["Connection", "Delivery"], Outcome] | Callable[["Connection", "Delivery", Any], Outcome] | None = None
    # prepare_batch(deliveries) -> {delivery id: payload}: what `send` needs for a batch of one connection's claimed
    # rows, read in a fixed number of queries rather than one per row. A row left out (its data is gone, say) is
    # sent by send(connection, delivery) alone, which decides its outcome; so is every row when this raises.
    prepare_batch: Callable[[list["Delivery"]], dict[int, Any]] | None = None
    plan_backfill_chunk: Callable[["Backfill", int, int], BackfillChunk] | None = None
    seed_demo: Callable[..., None] | None = None  # seed_demo(*, entity, sandbox_host, app_url, stdout): idempotent.
    # import_rows(job, rows) records one chunk of an ImportJob: rows are (file line, {header: value}). Called inside
    # the chunk's transaction; it must check "already recorded" for the whole chunk at once, not row by row.
    import_rows: Callable[["ImportJob", list[tuple[int, dict]]], ImportChunk] | None = None
    import_url: str = ""  # URL name of the kind's upload page, linked from the job page.
    nav: tuple[NavLink, ...] = ()
    tabs: tuple[Tab, ...] = ()

    @property
    def namespaces(self) -> frozenset[str]:
        """The URL namespaces of the kind's pages: a page under one of them belongs to this kind."""
        names = (self.connect_url, self.detail_url, *(tab.url_name for tab in self.tabs))
        return frozenset(name.partition(":")[0] for name in names if ":" in name)


_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    _KINDS[kind.slug] = kind


def get_kind(slug: str) -> Kind:
    try:
        return _KINDS[slug]
    except KeyError:
        raise LookupError(f"Unknown integration kind {slug!r}; is its app installed?") from None


def kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda kind: (kind.order, kind.title))


def kind_for_namespace(namespace: str) -> Kind | None:
    """The kind whose pages live under this URL namespace, or None (a hub page, or no kind claims it)."""
    return next((kind for kind in kinds() if namespace in kind.namespaces), None)


def nav_links() -> list[NavLink]:
    return sorted((link for kind in kinds() for link in kind.nav), key=lambda link: link.order)
