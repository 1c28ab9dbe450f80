"""Fixtures for tests/skills live in skills_fixtures.py, which test modules import by that
unique name (several folders have a conftest.py, so `from skills_fixtures import` is ambiguous)."""

from skills_fixtures import *  # noqa: F403
