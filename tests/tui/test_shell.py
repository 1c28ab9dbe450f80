"""The App shell: areas by number keys and palette, help, the Dashboard, crash files."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui_fixtures import open_demo, stable_app  # type: ignore[import-not-found]

from screens.not_built import NotBuiltScreen
from tui.app import StoreroomApp
from tui.areas import AREAS


async def _until(pilot, condition, failure: str) -> None:  # noqa: ANN001
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(failure)


async def wait_for_rows(pilot, table: DataTable, rows: int = 1) -> None:  # noqa: ANN001
    await _until(pilot, lambda: table.row_count >= rows, f"table {table.id} never got {rows} rows")


async def wait_measured(pilot, table: DataTable) -> None:  # noqa: ANN001
    """Until every column is as wide as its cells: a loaded machine can paint new rows
    before the widths catch up, and a snapshot then shows clipped cells."""
    def measured() -> bool:
        for index, column in enumerate(table.columns.values()):
            cells = [len(str(table.get_row_at(r)[index])) for r in range(table.row_count)]
            if cells and column.content_width < max(cells):
                return False
        return True
    await _until(pilot, measured, f"table {table.id} columns never caught up with their cells")


async def test_number_keys_reach_every_area(demo_root: Path) -> None:
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            for area in AREAS:
                await pilot.press(area.key)
                await pilot.pause()
                assert app.current_mode == area.mode
                if isinstance(app.screen, NotBuiltScreen):
                    text = " ".join(str(w.render()) for w in app.screen.query("Static"))
                    assert "not built yet" in text


async def test_help_lists_global_keys_and_closes(demo_root: Path) -> None:
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("question_mark")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "HelpScreen"
            text = " ".join(str(w.render()) for w in app.screen.query("Static"))
            assert "go to Workflows" in text and "command palette" in text
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.__class__.__name__ != "HelpScreen"


async def test_palette_offers_every_area(demo_root: Path) -> None:
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            titles = [c.title for c in app.get_system_commands(app.screen)]
            for area in AREAS:
                assert any(area.title in t for t in titles)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"go to metrics")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert app.current_mode == "metrics"


async def test_dashboard_shows_health_and_counts(demo_root: Path) -> None:
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            health = app.screen.query_one("#health", DataTable)
            await wait_for_rows(pilot, health, 3)
            names = [health.get_row_at(i)[0] for i in range(health.row_count)]
            assert "skill files" in names and "sqlite" in names
            facts = app.screen.query_one("#facts", DataTable)
            await wait_for_rows(pilot, facts, 3)
            skills_row = next(facts.get_row_at(i) for i in range(facts.row_count)
                              if facts.get_row_at(i)[0] == "skills")
            count = len(list((demo_root / "skills").glob("*.json")))
            assert skills_row[1] == f"{count:,}"


async def test_dashboard_with_redis_down_degrades_without_traceback(demo_root: Path, redis_server,  # noqa: ANN001
                                                                    redis_url: str) -> None:
    redis_server.stop()
    try:
        with open_demo(demo_root, STOREROOM_REDIS_URL=redis_url) as ws:
            app = StoreroomApp(ws)
            async with app.run_test(size=(120, 40)) as pilot:
                health = app.screen.query_one("#health", DataTable)
                await wait_for_rows(pilot, health, 4)
                row = health.get_row("redis")
                assert str(row[1]) == "degraded"
                assert "memory and disk" in row[3]
    finally:
        redis_server.ensure_ready()


async def test_unexpected_crash_writes_a_redacted_crash_file(demo_root: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("STOREROOM_POSTGRES_DSN", "postgresql://app:sup3rsecret@db/x")
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)

        def explode() -> None:
            raise RuntimeError("boom while talking to postgresql://app:sup3rsecret@db/x")

        with pytest.raises(RuntimeError, match="boom"):  # run_test re-raises for the test
            async with app.run_test(size=(120, 40)) as pilot:
                app.call_later(explode)
                await pilot.pause(0.2)
        crash_files = list(ws.paths.log_dir.glob("crash-*.txt"))
        assert len(crash_files) == 1
        text = crash_files[0].read_text()
        assert "RuntimeError: boom" in text
        assert "sup3rsecret" not in text and "app:***@db" in text


def test_snapshot_dashboard_healthy(demo_root: Path, snap_compare, redis_url: str) -> None:  # noqa: ANN001
    with open_demo(demo_root, STOREROOM_REDIS_URL=redis_url) as ws:
        ws.logs.count()  # create storeroom.db first: health and facts then agree, run after run
        assert snap_compare(stable_app(ws), terminal_size=(120, 36), run_before=_settle)


def test_snapshot_dashboard_redis_down(demo_root: Path, snap_compare, redis_server) -> None:  # noqa: ANN001
    url = redis_server.url
    redis_server.stop()
    try:
        with open_demo(demo_root, STOREROOM_REDIS_URL=url) as ws:
            ws.logs.count()
            assert snap_compare(stable_app(ws), terminal_size=(120, 36), run_before=_settle)
    finally:
        redis_server.ensure_ready()


async def _settle(pilot) -> None:  # noqa: ANN001
    health = pilot.app.screen.query_one("#health", DataTable)
    await wait_for_rows(pilot, health, 4)
    facts = pilot.app.screen.query_one("#facts", DataTable)
    await wait_for_rows(pilot, facts, 3)
    activity = pilot.app.screen.query_one("#activity", DataTable)
    await wait_for_rows(pilot, activity, 1)
    for table in (health, facts, activity):
        await wait_measured(pilot, table)
    await pilot.pause(0.1)


async def test_live_events_reach_the_activity_feed(demo_root: Path) -> None:
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            feed = app.screen.query_one("#activity", DataTable)
            await wait_for_rows(pilot, feed, 1)
            ws.events.emit("skill.saved", "web-fetch", "v3")
            for _ in range(100):
                rows = [feed.get_row_at(i) for i in range(feed.row_count)]
                if any(r[1] == "skill.saved" and r[2] == "web-fetch" for r in rows):
                    break
                await pilot.pause(0.05)
            else:
                raise AssertionError("the event never reached the feed")


async def test_the_index_opens_at_start_and_the_dashboard_shows_it(demo_root: Path) -> None:
    (demo_root / "storeroom.yaml").write_text("workspace:\n  name: demo\nindex:\n  embedder: lexical\n")
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)
        async with app.run_test(size=(140, 40)) as pilot:
            count = len(list((demo_root / "skills").glob("*.json")))
            for _ in range(200):
                if "search" in ws.__dict__ and ws.search.status().points == count:
                    break
                await pilot.pause(0.05)
            else:
                raise AssertionError("the index never reconciled the sample skills")
            await pilot.press("r")
            health = app.screen.query_one("#health", DataTable)
            for _ in range(100):
                if "skill index" in health.rows and f"{count} points" in str(health.get_row("skill index")[3]):
                    break
                await pilot.pause(0.05)
            else:
                raise AssertionError(f"index row never showed {count} points")


async def test_help_shows_bracket_keys_literally(demo_root: Path) -> None:
    with open_demo(demo_root) as ws:
        app = StoreroomApp(ws)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("2")
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            # A key like "[" must show as itself, not be read as markup.
            text = "\n".join(str(w.render()) for w in app.screen.query("Static"))
            lines = [line.strip() for line in text.splitlines()]
            assert "[/b]" not in text
            assert any(line.startswith("[") and line.endswith("Prev page") for line in lines), lines
