"""Test doubles. `FakeActionKitClient` is the one ActionKit client fake of the service tests."""

from tests.fakes.actionkit import FakeActionKitClient

__all__ = ["FakeActionKitClient"]
