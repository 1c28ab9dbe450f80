"""The Migrate screen: Pilot tests against a real PostgreSQL, and an SVG snapshot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Static

from backend.workspace import open_workspace
from tui.app import StoreroomApp

SIZE = (120, 40)


def make_app(ws: Any) -> StoreroomApp:
    class MigrateApp(StoreroomApp):
        DEFAULT_MODE = "migrate"

        def on_mount(self) -> None:
            self.sub_title = ws.name  # not the temp path

    return MigrateApp(ws)


async def settle(pilot: Any, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot: Any, check: Any, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        assert loop.time() < end, "timed out waiting for the screen"
        await pilot.pause(0.05)


def _text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _cells(screen: Any, selector: str) -> list[list[str]]:
    table = screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_plan_run_verify_switch_from_the_screen(workspace: Path, postgres_dsn: str) -> None:
    secret_dsn = postgres_dsn.replace("postgres@", "postgres:s3cret@")  # trust auth ignores it
    ws = open_workspace(workspace)
    try:
        async with make_app(ws).run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            await pilot.press("d")
            screen.query_one("#mig-dsn", Input).value = secret_dsn
            await pilot.press("enter")
            await until(pilot, lambda: "reachable" in _text(screen, "#mig-target"))
            shown = _text(screen, "#mig-target")
            assert "s3cret" not in shown and "***" in shown and "empty" in shown

            await pilot.press("p")
            await until(pilot, lambda: screen.query_one("#mig-plan", DataTable).row_count == 6)
            assert _cells(screen, "#mig-plan")[0][:2] == ["run_logs", "300"]
            assert "every value fits" in _text(screen, "#mig-notes")

            await pilot.press("r")
            await until(pilot, lambda: "verified ok" in _text(screen, "#mig-result"))
            verdicts = _cells(screen, "#mig-verify")
            assert verdicts[0][0] == "run_logs" and verdicts[0][1].startswith("ok: 300 rows")
            await settle(pilot)
            history = _cells(screen, "#mig-history")
            assert history[0][2] == "completed" and history[0][5] == "verified"
            assert "s3cret" not in history[0][7]

            await pilot.press("s")
            await pilot.pause()
            assert "Switch to the migrated database" in str(
                pilot.app.screen.query_one(".panel-title", Static).render())
            await pilot.press("y")
            await until(pilot, lambda: "storeroom.yaml now uses" in _text(screen, "#mig-result"))
    finally:
        ws.close()
    assert "backend: postgres" in (workspace / "storeroom.yaml").read_text()


async def test_cancel_is_safe_and_run_resumes(workspace: Path, postgres_dsn: str) -> None:
    ws = open_workspace(workspace)
    try:
        async with make_app(ws).run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            screen.query_one("#mig-dsn", Input).value = postgres_dsn
            screen.action_run()
            screen.action_cancel()  # set before the first batch commits
            await until(pilot, lambda: "cancelled" in _text(screen, "#mig-result"))
            await settle(pilot)
            assert _cells(screen, "#mig-history")[0][2] == "cancelled"
            await pilot.press("r")
            await until(pilot, lambda: "verified ok" in _text(screen, "#mig-result"))
            await settle(pilot)
            assert _cells(screen, "#mig-history")[0][2] == "completed"
    finally:
        ws.close()


def test_snapshot_after_plan(workspace: Path, snap_compare: Any) -> None:
    ws = open_workspace(workspace)

    async def planned(pilot: Any) -> None:
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#mig-dsn", Input).value = "other.db"
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("p")
        await until(pilot, lambda: screen.query_one("#mig-plan", DataTable).row_count == 6)
        await settle(pilot)

    try:
        assert snap_compare(make_app(ws), terminal_size=SIZE, run_before=planned)
    finally:
        ws.close()


async def test_quarantine_is_listed_and_must_be_accepted(workspace: Path, postgres_dsn: str) -> None:
    import sqlite3

    conn = sqlite3.connect(workspace / "storeroom.db")
    conn.execute("UPDATE run_logs SET payload = '{broken' WHERE rowid = 9")
    conn.commit()
    conn.close()
    ws = open_workspace(workspace)
    try:
        async with make_app(ws).run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            screen.query_one("#mig-dsn", Input).value = postgres_dsn
            await pilot.press("r")
            await until(pilot, lambda: "quarantined" in _text(screen, "#mig-notes"))
            notes = _text(screen, "#mig-notes")
            assert "[payload] malformed JSON" in notes
            assert "completed with 1 quarantined" in _text(screen, "#mig-result")
            await pilot.press("s", "y")
            await settle(pilot)
            assert "now uses" not in _text(screen, "#mig-result")  # refused: not accepted
            await pilot.press("a", "y")
            await settle(pilot)
            await pilot.press("s", "y")
            await until(pilot, lambda: "now uses" in _text(screen, "#mig-result"))
    finally:
        ws.close()
