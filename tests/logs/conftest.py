"""Fixtures for the logs/metrics suite: workspaces on each engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from logs_support import make_ws


@pytest.fixture(params=["sqlite", "postgres"])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A workspace whose logs live on the parametrised engine."""
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgres" else None
    workspace = make_ws(tmp_path / "ws", request.param, dsn)
    yield workspace
    workspace.close()


@pytest.fixture
def sqlite_ws(tmp_path: Path) -> Iterator[Any]:
    workspace = make_ws(tmp_path / "ws", "sqlite")
    yield workspace
    workspace.close()
