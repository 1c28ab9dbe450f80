"""SVG snapshots of the Workflows screen (fixed workspace name, fixed timestamps)."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, Static, TextArea, Tree
from workflows_fixtures import make_app, wait_for

from screens.workflow_editor import WorkflowEditorScreen

SIZE = (120, 40)


async def _at_v4(pilot) -> None:  # noqa: ANN001
    app = pilot.app
    tree = app.screen.query_one("#wf-tree", Tree)
    await wait_for(pilot, lambda: len(tree.root.children) == 2, what="tree")
    await pilot.press("down")
    yaml_area = app.screen.query_one("#wf-yaml", TextArea)
    await wait_for(pilot, lambda: "version: 5" in yaml_area.text, what="latest")
    await pilot.press("enter", "down", "down", "a", "down", "down")
    await wait_for(pilot, lambda: "version: 4\n" in yaml_area.text, what="v4")
    await wait_for(pilot, lambda: "runs" in str(app.screen.query_one("#wf-runs", Static).render())
                   or "not available" in str(app.screen.query_one("#wf-runs", Static).render()),
                   what="runs panel")


async def _settle(pilot) -> None:  # noqa: ANN001
    pilot.app.clear_notifications()
    await pilot.pause(0.2)


async def _version_view(pilot) -> None:  # noqa: ANN001
    await _at_v4(pilot)
    await _settle(pilot)


async def _diff(pilot, mode_presses: int) -> None:  # noqa: ANN001
    await _at_v4(pilot)
    await pilot.press("b", "D")
    switcher = pilot.app.screen.query_one("#wf-views", ContentSwitcher)
    await wait_for(pilot, lambda: switcher.current == "wf-diff", what="diff")
    for _ in range(mode_presses):
        await pilot.press("t")
    await _settle(pilot)


async def _editor_invalid(pilot) -> None:  # noqa: ANN001
    await _at_v4(pilot)
    await pilot.press("n")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, WorkflowEditorScreen), what="editor")
    editor = app.screen
    await wait_for(pilot, lambda: editor.valid is True, what="valid")
    area = editor.query_one("#wf-editor", TextArea)
    area.cursor_blink = False  # a blinking cursor makes the SVG differ run to run
    area.load_text(area.text.replace("next: pdf-text", "next: pdf"))
    await wait_for(pilot, lambda: editor.valid is False, what="invalid")
    await _settle(pilot)


def test_snapshot_version_view(ui_ws, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(make_app(ui_ws), terminal_size=SIZE, run_before=_version_view)


def test_snapshot_diff_unified(ui_ws, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(make_app(ui_ws), terminal_size=SIZE, run_before=lambda p: _diff(p, 0))


def test_snapshot_diff_side_by_side(ui_ws, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(make_app(ui_ws), terminal_size=SIZE, run_before=lambda p: _diff(p, 1))


def test_snapshot_editor_invalid(ui_ws, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(make_app(ui_ws), terminal_size=SIZE, run_before=_editor_invalid)
