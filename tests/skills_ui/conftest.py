"""Fixtures for tests/skills_ui live in skills_ui_fixtures.py, which test modules import by that
unique name (several folders have a conftest.py, so `from skills_ui_fixtures import` is ambiguous)."""

from skills_ui_fixtures import *  # noqa: F403
