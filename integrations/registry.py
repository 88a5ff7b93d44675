"""Integration kinds register here from their AppConfig.ready(); the hub never imports a vendor app.

A kind tells the hub how to show its tile and how to send one delivery. `send` returns an Outcome, so the
hub's retry, halt and status rules stay the same for every vendor.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrations.models import Backfill, Connection, Delivery


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
class Kind:
    slug: str
    title: str
    description: str
    connect_url: str  # URL name; reversed with entity_slug.
    detail_url: str
    order: int = 100
    send: Callable[["Connection", "Delivery"], Outcome] | None = None
    plan_backfill_chunk: Callable[["Backfill", int, int], BackfillChunk] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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
