"""Walks every URL pattern under e/<entity_slug>/ as an outsider and as an anonymous user.

Each app lists its entity URL names in tests/<app>/isolation.py. A URL pattern missing from those lists fails
this test, so a new page cannot ship without the check.
"""

import pytest
from django.urls import reverse

from tests.plugins.tenants import assert_hidden_from_outsiders, entity_url_names, isolation_registry


def test_it_registers_every_entity_url():
    missing = entity_url_names() - set(isolation_registry())
    assert not missing, f"Add these URL names to tests/<app>/isolation.py: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(isolation_registry()))
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_hides_entity_pages_from_outsiders(cast, name, method):
    kwargs = {"entity_slug": cast.entity_a.slug, **isolation_registry()[name](cast)}
    assert_hidden_from_outsiders(cast, reverse(name, kwargs=kwargs), method=method)
