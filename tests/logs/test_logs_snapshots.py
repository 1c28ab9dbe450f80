"""SVG snapshots of the Logs and Metrics screens (fixed data, fixed workspace name)."""

from __future__ import annotations

from logs_screens_support import SIZE, demo_ws, make_app, settle


def test_snapshot_logs(tmp_path, snap_compare):
    ws = demo_ws(tmp_path)
    try:
        assert snap_compare(make_app(ws, "logs"), terminal_size=SIZE, run_before=settle)
    finally:
        ws.close()


def test_snapshot_logs_filtered_failures(tmp_path, snap_compare):
    ws = demo_ws(tmp_path)

    async def filtered(pilot):
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#f-status").value = 0  # failed (failure + timeout)
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)

    try:
        assert snap_compare(make_app(ws, "logs"), terminal_size=SIZE, run_before=filtered)
    finally:
        ws.close()


def test_snapshot_metrics_by_workflow(tmp_path, snap_compare):
    ws = demo_ws(tmp_path, runs=1500)

    async def by_workflow(pilot):
        await settle(pilot)
        await pilot.press("v", "down")
        await settle(pilot)

    try:
        assert snap_compare(make_app(ws, "metrics"), terminal_size=SIZE, run_before=by_workflow)
    finally:
        ws.close()
