"""Pilot tests of the Logs and Metrics screens (real SQLite workspace, real workers)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from logs_screens_support import SIZE, demo_ws, make_app, settle, wait_until
from textual.widgets import DataTable, Input, Static, TextArea

from backend.logs import LogFilter, RetentionPolicy


async def test_logs_pages_by_keyset_and_shows_payload(tmp_path):
    ws = demo_ws(tmp_path)
    async with make_app(ws, "logs").run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        table = screen.query_one("#logs-table", DataTable)
        assert table.row_count == 100  # one page, not the whole table
        newest = ws.logs.query_logs(LogFilter(limit=1)).items[0]
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == newest.run_id
        payload = screen.query_one("#logs-payload", TextArea).text
        assert json.loads(payload) == newest.payload
        assert "of 400 runs" in str(screen.query_one("#logs-status", Static).render())
        # Moving near the end loads the next page (keyset), without duplicates.
        table.move_cursor(row=95)
        await settle(pilot)
        assert table.row_count == 200
        await pilot.press("down")
        await settle(pilot)
        second = table.coordinate_to_cell_key((96, 0)).row_key.value
        assert json.loads(screen.query_one("#logs-payload", TextArea).text) == ws.logs.get_log(second).payload
    ws.close()


async def test_logs_filter_bar(tmp_path):
    ws = demo_ws(tmp_path)
    async with make_app(ws, "logs").run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        await pilot.press("slash")
        await pilot.press(*"invoice-ingest", "enter")
        await settle(pilot)
        table = screen.query_one("#logs-table", DataTable)
        expected = ws.logs.count(LogFilter(workflow_id="invoice-ingest"))
        assert 0 < table.row_count == min(expected, 100)
        assert {table.get_row_at(i)[1].rsplit(" v", 1)[0] for i in range(table.row_count)} == {"invoice-ingest"}
        screen.query_one("#f-text", Input).value = "no such error text"
        screen.query_one("#f-text", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count == 0
        assert "no run matches" in str(screen.query_one("#logs-detail-head", Static).render())
        screen.query_one("#f-since", Input).value = "the day before"
        screen.query_one("#f-since", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert any("not an ISO-8601" in n.message for n in pilot.app._notifications)
        await pilot.press("escape", "x")
        await settle(pilot)
        assert table.row_count == 100
    ws.close()


async def test_logs_tail_shows_new_runs_as_they_land(tmp_path):
    ws = demo_ws(tmp_path, runs=50)
    async with make_app(ws, "logs").run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one("#logs-table", DataTable)
        await pilot.press("t")
        await settle(pilot)
        run_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        ws.logs.store_log({"run_id": run_id, "workflow_id": "live", "workflow_version": 1,
                           "status": "failure", "started_at": now, "finished_at": now,
                           "duration_ms": 0, "error": "fresh", "payload": {"x": 1}})
        await wait_until(pilot, lambda: table.row_count == 51)
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == run_id
        await pilot.press("t")
        assert pilot.app.screen._tail is None
    ws.close()


async def test_retention_dialog_previews_and_applies_in_background(tmp_path):
    ws = demo_ws(tmp_path)
    async with make_app(ws, "logs").run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        dialog = pilot.app.screen
        dialog.query_one("#r-age", Input).value = ""
        dialog.query_one("#r-keep", Input).value = ""
        dialog.query_one("#r-count", Input).value = "5"
        await pilot.press("p")
        await settle(pilot)
        result = str(dialog.query_one("#r-result", Static).render())
        expected = ws.logs.preview_retention(RetentionPolicy(max_count=5))
        assert f"{expected.total:,} runs" in result
        await pilot.press("a")
        await wait_until(pilot, lambda: pilot.app.screen is not dialog)
        await settle(pilot)
        assert ws.logs.count() == 400 - expected.total
        assert any("Retention done" in n.message for n in pilot.app._notifications)
        assert list((ws.root / "archive").glob("logs-*.jsonl.gz"))
    ws.close()


async def test_metrics_table_plot_and_patterns(tmp_path):
    ws = demo_ws(tmp_path, runs=1500)
    async with make_app(ws, "metrics").run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        table = screen.query_one("#metrics-table", DataTable)
        summaries = ws.metrics.list_summaries()
        assert table.row_count == len(summaries)
        first = summaries[0]
        row = table.get_row_at(0)
        assert row[0] == first.workflow_id and row[2] == f"{first.executions:,}"
        patterns = str(screen.query_one("#metrics-patterns", Static).render())
        stored = ws.metrics.get_patterns()
        assert stored and stored[0].description in patterns
        await pilot.press("v")
        await settle(pilot)
        workflows = {s.workflow_id for s in summaries}
        assert table.row_count == len(workflows)
        assert {table.get_row_at(i)[1] for i in range(table.row_count)} == {"all"}
        await pilot.press("down")
        await settle(pilot)
        assert screen._plotted == (table.get_row_at(1)[0], None)
    ws.close()


async def test_logs_screen_with_postgres_down_says_so(tmp_path, postgres_server, postgres_dsn):
    from logs_support import make_ws

    ws = make_ws(tmp_path / "demo", "postgres", postgres_dsn)
    postgres_server.stop()
    async with make_app(ws, "logs").run_test(size=SIZE) as pilot:
        status = pilot.app.screen.query_one("#logs-status", Static)
        await wait_until(pilot, lambda: "could not load runs" in str(status.render()))
        messages = [n.message for n in pilot.app._notifications]
        assert any("PostgreSQL unavailable" in m for m in messages), messages
        await pilot.press("5")  # the Metrics screen copes too
        await settle(pilot)
        assert pilot.app.screen.query_one("#metrics-table", DataTable).row_count == 0
    ws.close()
