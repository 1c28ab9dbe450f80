"""The search panel: Pilot tests and a snapshot, in a small host app."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from search_fixtures import SKILLS, make_settings, skill_bytes, write_atomic
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Select, Static

from backend.search import open_index
from backend.workspace import Workspace, init_workspace
from screens.skill_search import SkillSearch

SIZE = (100, 24)


class Host(App):
    """Stands in for the Skills screen: mounts the panel and records what was chosen."""

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.chosen: list[str] = []
        self.notices: list[str] = []

    def notify(self, message: str, **kwargs) -> None:  # noqa: ANN003
        self.notices.append(message)
        super().notify(message, **kwargs)

    def compose(self) -> ComposeResult:
        yield SkillSearch()

    def on_skill_search_skill_chosen(self, message: SkillSearch.SkillChosen) -> None:
        self.chosen.append(message.skill_id)


async def until(pilot, predicate, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def status_text(app: App) -> str:
    return str(app.query_one("#search-status", Static).render())


def rows(app: App) -> list[str]:
    table = app.query_one("#search-results", DataTable)
    return [str(table.get_row_at(i)[2]) for i in range(table.row_count)] if table.display else []


def _stable_root(tmp_path: Path) -> Path:
    root = init_workspace(tmp_path / "demo")
    for ident, name, desc, tags in SKILLS:
        (root / "skills" / f"{ident}.json").write_bytes(skill_bytes(ident, name, desc, tags))
    return root


async def test_type_see_results_and_choose(tmp_path):
    with Workspace(_stable_root(tmp_path), make_settings("lexical")) as ws:
        app = Host(ws)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "skills indexed" in status_text(app), what="index ready")
            assert "LEXICAL FALLBACK (words only)" in status_text(app)
            await pilot.click("#search-query")
            await pilot.press(*"postgresql")
            await until(pilot, lambda: rows(app), what="results")
            assert set(rows(app)) == {"backup-postgres", "inspect-sql-schema"}
            table = app.query_one("#search-results", DataTable)
            assert str(table.get_row_at(0)[1]) == "words" and float(table.get_row_at(0)[0]) > 0
            await pilot.press("enter")  # picks the first result
            await until(pilot, lambda: app.chosen, what="a choice")
            assert app.chosen[0] in {"backup-postgres", "inspect-sql-schema"}
            # Tag filter: only skills with the tag.
            app.query_one("#search-tag", Select).value = "backup"
            await until(pilot, lambda: rows(app) == ["backup-postgres"], what="filtered results")
            # Exact id ranks first and says so.
            app.query_one("#search-tag", Select).clear()
            await pilot.press("ctrl+a", *"resize-image")
            app.query_one("#search-query").value = "resize-image"
            await until(pilot, lambda: rows(app)[:1] == ["resize-image"], what="exact hit")
            assert str(table.get_row_at(0)[1]).startswith("exact")
            await pilot.press("escape")
            await until(pilot, lambda: rows(app) == [], what="cleared")


async def test_live_changes_reach_the_open_panel(tmp_path):
    with Workspace(_stable_root(tmp_path), make_settings("lexical")) as ws:
        app = Host(ws)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "5 skills indexed" in status_text(app), what="index ready")
            app.query_one("#search-query").value = "zebra"
            await until(pilot, lambda: rows(app) == ["no match"], what="no match row")
            write_atomic(ws.paths.skills, "feed-zebra", skill_bytes("feed-zebra", "Feed zebra", "Feeds the zebra"))
            await until(pilot, lambda: rows(app) == ["feed-zebra"], what="the query re-runs on change")
            await until(pilot, lambda: "6 skills indexed" in status_text(app), what="count updated")


async def test_index_folder_deleted_shows_a_notice(tmp_path):
    with Workspace(_stable_root(tmp_path), make_settings("lexical")) as ws:
        app = Host(ws)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "5 skills indexed" in status_text(app), what="index ready")
            while ws.paths.index.exists():  # rm -rf, racing the engine's own writes
                shutil.rmtree(ws.paths.index, ignore_errors=True)
            await until(pilot, lambda: any("rebuilt" in n for n in app.notices), what="rebuild notice")
            assert any("deleted while running" in n for n in app.notices)
            await until(pilot, lambda: "5 skills indexed" in status_text(app), what="index back")


async def test_second_process_shows_why_search_is_unavailable(tmp_path):
    root = _stable_root(tmp_path)
    with Workspace(root, make_settings("lexical")) as owner:
        index = open_index(owner, watch=False)
        owner._track(index)
        assert index.wait_ready(30)
        with Workspace(root, make_settings("lexical")) as ws:
            app = Host(ws)
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: "search unavailable" in status_text(app), what="busy message")
                assert "in use by storeroom process" in status_text(app)
                assert app.query_one("#search-status").has_class("-error")


def test_snapshot_panel_with_results(tmp_path, snap_compare):
    root = _stable_root(tmp_path)

    async def settle(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: "skills indexed" in status_text(app), what="index ready")
        app.query_one("#search-query").cursor_blink = False  # no blink phase in the picture
        app.query_one("#search-query").value = "database"
        await until(pilot, lambda: len(rows(app)) == 2, what="results")
        await pilot.pause(0.1)

    with Workspace(root, make_settings("lexical")) as ws:
        assert snap_compare(Host(ws), terminal_size=SIZE, run_before=settle)
