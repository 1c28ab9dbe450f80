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


SAMPLE = Path(__file__).resolve().parents[2] / "sample-data"
UI_WORKFLOWS = ("docs-index-refresh", "nightly-report")


@pytest.fixture
def ui_ws(tmp_path: Path) -> Iterator[Workspace]:
    """Workspace 'demo': the sample skills and two sample workflows, fixed timestamps."""
    from backend.demo import sample_workflows

    workspace = make_workspace(tmp_path / "demo")
    for src in sorted((SAMPLE / "skills").glob("*.json")):
        (workspace.paths.skills / src.name).write_bytes(src.read_bytes())
    for workflow_id, history in sample_workflows():
        if workflow_id in UI_WORKFLOWS:
            for version in history:
                workspace.workflows.store(workflow_id, version["definition"],
                                          parent=version.get("parent"),
                                          message=version.get("message", ""),
                                          author=version.get("author"))
    yield workspace
    workspace.close()


def make_app(ws: Workspace):  # noqa: ANN201
    """The App opened on Workflows, with a header that does not show the temp path."""
    from tui.app import StoreroomApp

    class StableApp(StoreroomApp):
        DEFAULT_MODE = "workflows"

        def on_mount(self) -> None:
            self.sub_title = ws.name

    return StableApp(ws)


async def wait_for(pilot: Any, condition: Any, timeout: float = 5.0, what: str = "condition") -> None:
    """Pause the pilot until ``condition()`` holds (workers are real threads)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
