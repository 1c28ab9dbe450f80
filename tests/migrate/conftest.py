"""Fixtures for tests/migrate live in migrate_fixtures.py, which test modules import by that
unique name (several folders have a conftest.py, so `from migrate_fixtures import` is ambiguous)."""

from migrate_fixtures import *  # noqa: F403
