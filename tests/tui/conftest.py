"""Fixtures for tests/tui live in tui_fixtures.py, which test modules import by that
unique name (several folders have a conftest.py, so `from tui_fixtures import` is ambiguous)."""

from tui_fixtures import *  # noqa: F403
