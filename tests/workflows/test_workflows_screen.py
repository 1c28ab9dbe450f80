"""Pilot tests of the Workflows screen: browse, view, diff, new version, skills jump."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, Input, OptionList, Static, TextArea, Tree
from workflows_fixtures import make_app, wait_for

from screens.workflow_editor import WorkflowEditorScreen


def _tree(app) -> Tree:
    return app.screen.query_one("#wf-tree", Tree)


def _yaml(app) -> str:
    return app.screen.query_one("#wf-yaml", TextArea).text


def _meta(app) -> str:
    return str(app.screen.query_one("#wf-meta", Static).render())


async def _open_versions(pilot, app) -> None:
    await wait_for(pilot, lambda: len(_tree(app).root.children) == 2, what="tree loaded")
    await pilot.press("down")  # docs-index-refresh
    await wait_for(pilot, lambda: "version: 5" in _yaml(app), what="latest version shown")
    await pilot.press("enter")  # expand it


async def test_browse_tree_and_view_versions(ui_ws):
    app = make_app(ui_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_versions(pilot, app)
        await pilot.press("down")  # v1
        await wait_for(pilot, lambda: "version: 1\n" in _yaml(app), what="v1")
        assert "Initial version" in _meta(app)
        await pilot.press("down", "down")  # v2, then v3 (a branch, nested under v2)
        await wait_for(pilot, lambda: "version: 3\n" in _yaml(app), what="v3")
        node = _tree(app).cursor_node
        assert node.data.version == 3 and node.parent.data.version == 2
        assert "parent v2" in _meta(app)
        skills = app.screen.query_one("#wf-skills", OptionList)
        assert skills.option_count >= 3
        runs = str(app.screen.query_one("#wf-runs", Static).render())
        assert "no runs" in runs or "not available" in runs


async def test_modified_outside_storeroom_badge(ui_ws):
    path = ui_ws.paths.workflows / "nightly-report" / "v5.yaml"
    path.write_text(path.read_text().replace("name: Nightly report", "name: Nightly report!"))
    app = make_app(ui_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(_tree(app).root.children) == 2, what="tree loaded")
        await pilot.press("down", "down")  # nightly-report -> latest (v5)
        await wait_for(pilot, lambda: "nightly-report v5" in _meta(app), what="v5")
        assert "MODIFIED OUTSIDE STOREROOM" in _meta(app)


async def test_mark_a_b_and_diff_in_every_mode(ui_ws):
    app = make_app(ui_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_versions(pilot, app)
        await pilot.press("down", "down")  # v2
        await wait_for(pilot, lambda: "version: 2\n" in _yaml(app), what="v2")
        await pilot.press("a", "down", "down")  # v3, then v4
        await wait_for(pilot, lambda: "version: 4\n" in _yaml(app), what="v4")
        await pilot.press("b", "D")
        switcher = app.screen.query_one("#wf-views", ContentSwitcher)
        await wait_for(pilot, lambda: switcher.current == "wf-diff", what="diff view")
        body = app.screen.query_one("#wf-diff-body", Static)
        assert "+- id: pdf-text" in str(body.render())
        assert "v2 → v4" in str(app.screen.query_one("#wf-diff-title", Static).render())
        await pilot.press("t")
        assert app.screen.diff_mode == "side by side"
        await pilot.press("t")
        assert "step pdf-text added" in str(body.render())
        await pilot.press("escape")
        assert switcher.current == "wf-yaml"


async def test_new_version_invalid_blocked_then_valid_saved(ui_ws):
    app = make_app(ui_ws)
    folder = ui_ws.paths.workflows / "docs-index-refresh"
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_versions(pilot, app)
        await pilot.press("down")  # v1
        await wait_for(pilot, lambda: "version: 1\n" in _yaml(app), what="v1")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowEditorScreen), what="editor")
        editor = app.screen
        status = editor.query_one("#wf-editor-status", Static)
        await wait_for(pilot, lambda: editor.valid is True, what="initial text valid")
        original = editor.editor_text
        editor.query_one("#wf-editor", TextArea).load_text(
            original.replace("next: chunk", "next: nowhere"))
        await wait_for(pilot, lambda: editor.valid is False, what="invalid detected")
        assert "line 10" in str(status.render()) and "nowhere" in str(status.render())
        editor.query_one("#wf-editor-message", Input).value = "broken"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert app.screen is editor and not (folder / "v6.yaml").exists()
        editor.query_one("#wf-editor", TextArea).load_text(
            original.replace("max_depth: 6", "max_depth: 8"))
        await wait_for(pilot, lambda: editor.valid is True, what="valid again")
        editor.query_one("#wf-editor-message", Input).value = "deeper scan"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, WorkflowEditorScreen),
                       what="editor closed")
        await wait_for(pilot, lambda: "version: 6\n" in _yaml(app), what="v6 selected")
        v6 = ui_ws.workflows.get("docs-index-refresh", 6)
        assert (v6.parent, v6.message) == (1, "deeper scan")
        assert v6.definition["steps"][0]["inputs"]["max_depth"] == 8
        assert _tree(app).cursor_node.parent.data.version == 1


async def test_editor_escape_asks_before_discarding(ui_ws):
    app = make_app(ui_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_versions(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WorkflowEditorScreen), what="editor")
        editor = app.screen
        area = editor.query_one("#wf-editor", TextArea)
        area.load_text(area.text + "# note\n")
        editor.query_one("#wf-editor-message", Input).focus()
        await pilot.press("escape")
        assert app.screen is editor
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not editor, what="discarded")
        assert len(ui_ws.workflows.list("docs-index-refresh")) == 5


async def test_skill_jump_switches_to_skills(ui_ws):
    app = make_app(ui_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_versions(pilot, app)
        skills = app.screen.query_one("#wf-skills", OptionList)
        await wait_for(pilot, lambda: skills.option_count > 0, what="skills listed")
        await pilot.press("g")
        assert app.focused is skills
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "skills", what="skills mode")


async def test_delete_version_with_confirmation(ui_ws):
    from screens.workflow_confirm import ConfirmDeleteScreen

    app = make_app(ui_ws)
    folder = ui_ws.paths.workflows / "docs-index-refresh"
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_versions(pilot, app)
        await pilot.press("down", "down")  # v2: v3, v4, v5 descend from it
        await wait_for(pilot, lambda: "version: 2\n" in _yaml(app), what="v2")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen), what="confirm")
        warning = str(app.screen.query_one("#wf-confirm-warning", Static).render())
        assert "v3, v4, v5 descend from it" in warning
        await pilot.press("n")
        assert (folder / "v2.yaml").exists()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: not (folder / "v2.yaml").exists(), what="deleted")
        assert (folder / "v2.deleted").exists()

        def deleted_node_shown() -> bool:
            stack = list(_tree(app).root.children)
            while stack:
                node = stack.pop()
                stack.extend(node.children)
                if node.data and node.data.version == 2 and node.data.deleted:
                    return [c.data.version for c in node.children] == [3, 4]
            return False

        await wait_for(pilot, deleted_node_shown, what="v2 shown as deleted with its children")


async def test_unreadable_version_shows_why_and_the_raw_file(ui_ws):
    path = ui_ws.paths.workflows / "nightly-report" / "v5.yaml"
    path.write_text("id: nightly-report\nversion: 5\ndefinition: [unclosed\n")
    app = make_app(ui_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(_tree(app).root.children) == 2, what="tree loaded")
        await pilot.press("down", "down")  # nightly-report: its latest (v5) is broken
        await wait_for(pilot, lambda: "cannot be read" in _meta(app), what="error shown")
        assert "syntax error at line 4" in _meta(app)
        await wait_for(pilot, lambda: "definition: [unclosed" in _yaml(app), what="raw text")
        assert app.screen.current is None


async def test_palette_runs_screen_actions(ui_ws):
    from textual.command import CommandPalette

    app = make_app(ui_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_versions(pilot, app)
        await pilot.press("down")  # v1
        await wait_for(pilot, lambda: "version: 1\n" in _yaml(app), what="v1")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"workflows mark a")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.marks["A"] == ("docs-index-refresh", 1),
                       what="A marked from the palette")
