"""Walks every URL pattern under e/<entity_slug>/ as an outsider and as an anonymous user.

Each app lists its entity URL names in tests/<app>/isolation.py. A URL pattern missing from those lists fails
this test, so a new page cannot ship without the check.
"""

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.plugins.tenants import assert_hidden_from_outsiders

TESTS_DIR = Path(__file__).resolve().parent.parent


def _registered_urls() -> dict:
    urls = {}
    for path in sorted(TESTS_DIR.glob("*/isolation.py")):
        urls.update(importlib.import_module(f"tests.{path.parent.name}.isolation").URLS)
    return urls


def _entity_url_names(resolver=None, prefix="", namespace="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            child_ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _entity_url_names(entry, pattern, child_ns)
        elif isinstance(entry, URLPattern) and "<slug:entity_slug>" in pattern and entry.name:
            names.add(namespace + entry.name)
    return names


def test_it_registers_every_entity_url():
    missing = _entity_url_names() - set(_registered_urls())
    assert not missing, f"Add these URL names to tests/<app>/isolation.py: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(_registered_urls()))
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_hides_entity_pages_from_outsiders(cast, name, method):
    kwargs = {"entity_slug": cast.entity_a.slug, **_registered_urls()[name](cast)}
    assert_hidden_from_outsiders(cast, reverse(name, kwargs=kwargs), method=method)
