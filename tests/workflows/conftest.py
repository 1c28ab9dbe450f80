"""Fixtures for the workflow tests: a fresh workspace with a few skills and a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.workspace import Workspace, open_workspace

SKILLS = ("fetch-url", "summarize-text", "send-email-smtp")


class FixedClock:
    """Deterministic timestamps: 2026-01-05 10:00 UTC, one minute later on every call."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def make_workspace(root: Path) -> Workspace:
    ws = open_workspace(root, create=True)
    (root / "storeroom.yaml").write_text("workspace:\n  name: demo\n  id: wftest\n", "utf-8")
    ws.close()
    ws = open_workspace(root)
    for skill in SKILLS:
        (ws.paths.skills / f"{skill}.json").write_text(json.dumps({"id": skill}), "utf-8")
    ws.workflows.clock = FixedClock()
    return ws


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = make_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


def definition(name: str = "Digest", steps: int = 2, **extra: Any) -> dict[str, Any]:
    """A valid definition with ``steps`` chained steps using known skills."""
    out: list[dict[str, Any]] = []
    for i in range(steps):
        out.append({"id": f"s{i}", "skill": SKILLS[i % len(SKILLS)],
                    "inputs": {"n": i}, "next": f"s{i + 1}" if i + 1 < steps else None})
    return {"name": name, "description": "test workflow", "steps": out, **extra}
