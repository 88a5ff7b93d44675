"""JSON bodies that cannot crash a request: nesting past MAX_DEPTH is a 400, never a RecursionError 500.

Python's decoder recurses once per level and gives up near 1,000 levels with a RecursionError, which is not a
ValueError, so DRF's JSONParser lets it through as a 500. A body just under that limit parses, then breaks
whatever recurses over it next (serializing it for a JSONField, rendering it, a worker that loads it back on a
deeper stack). No body we accept is nested more than a few levels, so anything past MAX_DEPTH is refused here.
"""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64
TOO_DEEP = "The body is nested too deeply."


class NestedTooDeeply(ValueError):
    pass


def nesting_check(value, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise NestedTooDeeply when lists and objects nest more than `max_depth` levels. Iterative, so checking a
    deep value cannot itself run out of stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise NestedTooDeeply(TOO_DEEP)
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


def json_loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH):
    """json.loads, refusing deep nesting with NestedTooDeeply (a ValueError, as every other bad body)."""
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise NestedTooDeeply(TOO_DEEP) from exc
    nesting_check(value, max_depth=max_depth)
    return value


class JSONParser(parsers.JSONParser):
    """DRF's parser (strict: no NaN), plus the nesting limit. Invalid JSON is still DRF's own ParseError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        try:
            nesting_check(data)
        except NestedTooDeeply as exc:
            raise ParseError(TOO_DEEP) from exc
        return data
