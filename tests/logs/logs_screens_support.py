"""Deterministic apps over a demo workspace for the Logs and Metrics screen tests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from logs_support import make_ws, sample_runs

from tui.app import StoreroomApp

SIZE = (120, 40)


def demo_ws(tmp_path: Path, runs: int = 400) -> Any:
    """A workspace named 'demo' with ``runs`` generated runs (fixed seed and end)."""
    ws = make_ws(tmp_path / "demo", "sqlite")
    ws.logs.store_logs(sample_runs(runs, seed=7))
    return ws


def make_app(ws: Any, mode: str) -> StoreroomApp:
    class AreaApp(StoreroomApp):
        DEFAULT_MODE = mode

        def on_mount(self) -> None:
            self.sub_title = ws.name  # not the temp path

    return AreaApp(ws)


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let workers finish and their results land on the UI thread."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    # Rows added in the last round resize the columns; let the table redraw its header
    # with the new widths before the screenshot (under load that frame can lag).
    await pilot.pause(0.1)


async def wait_until(pilot: Any, check: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)
