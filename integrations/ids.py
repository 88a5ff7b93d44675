"""Ids read from text people and other systems send us: query parameters, webhook bodies, resource URIs.

`str.isdigit()` is true for "²" and "٣", which int() then refuses or reads, and an id past a BigIntegerField's
range makes the database driver raise (SQLite's OverflowError, PostgreSQL's out-of-range error). Both became 5xx
answers. Every id we take from outside is read here, so an unreadable one is None for the caller to refuse.
"""

MAX_ID = 2**63 - 1  # The largest BigIntegerField / BigAutoField value, on every database we run.


def id_in_range(value: int) -> int | None:
    """A positive id a BigIntegerField can hold, or None."""
    return value if 0 < value <= MAX_ID else None


def id_from_text(text: str) -> int | None:
    """"123" -> 123; None unless it is ASCII digits only and the number is in range."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    return id_in_range(int(text))
