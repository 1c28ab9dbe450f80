"""Fixtures for tests/workflows live in workflows_fixtures.py, which test modules import by that
unique name (several folders have a conftest.py, so `from workflows_fixtures import` is ambiguous)."""

from workflows_fixtures import *  # noqa: F403
