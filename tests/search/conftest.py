"""Fixtures for tests/search live in search_fixtures.py, which test modules import by that
unique name (several folders have a conftest.py, so `from search_fixtures import` is ambiguous)."""

from search_fixtures import *  # noqa: F403
