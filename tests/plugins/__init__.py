"""Shared pytest plugins (fixtures), loaded from tests/conftest.py via ``pytest_plugins``."""
