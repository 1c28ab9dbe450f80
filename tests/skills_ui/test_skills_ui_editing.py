"""Pilot tests of editing skills: validation, save, new/duplicate, conflicts, repair, history."""

from __future__ import annotations

import json
from pathlib import Path

from skills_ui_fixtures import (
    SKILL_COUNT,
    detail_shows,
    fixed_skill,
    ids_of,
    make_app,
    open_ws,
    plain,
    replace_value,
    skills_ready,
    status_of,
    table_of,
    wait_for,
    write_skill_file,
)
from textual.widgets import DataTable, Static, TextArea

from screens.skill_conflict import ConflictScreen
from screens.skill_editor import SkillEditorScreen
from screens.skills import SkillsScreen


async def test_invalid_json_blocks_save_and_points_at_the_line(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            before = path.read_bytes()
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            area = app.screen.query_one(TextArea)
            area.insert(",,", (3, 0))  # garbage at the start of line 4
            await pilot.pause()
            status = plain(app.screen.query_one("#editor-status", Static))
            assert "line 4" in status and "blocked" in status
            await pilot.press("ctrl+s")
            await pilot.pause(0.2)
            assert isinstance(app.screen, SkillEditorScreen)  # still editing: not saved
            assert path.read_bytes() == before
            area.cursor_location = (0, 0)
            await pilot.press("ctrl+g")
            assert area.cursor_location[0] == 3


async def test_valid_edit_is_saved_to_disk(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            old = json.loads(path.read_text())
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            replace_value(app.screen.query_one(TextArea), "name", "Renamed in the TUI")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back to list")
            new = json.loads(path.read_text())
            assert new["name"] == "Renamed in the TUI" and new["version"] == old["version"] + 1
            assert new["owner"] == "team-a"  # unknown fields survive the editor
            await wait_for(pilot, lambda: table_of(app).get_row(skill_id)[1] == "Renamed in the TUI",
                           what="row refreshed")


async def test_new_and_duplicate_create_files(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            source = ids_of(app)[0]
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back")
            copy = json.loads((ws_root / "skills" / f"{source}-copy.json").read_text())
            assert copy["name"].endswith("(copy)") and copy["code"] == fixed_skill(0)["code"]
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            replace_value(app.screen.query_one(TextArea), "id", "brand-new")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back")
            assert json.loads((ws_root / "skills" / "brand-new.json").read_text())["version"] >= 1
            await wait_for(pilot, lambda: f"of {SKILL_COUNT + 2}" in status_of(app), what="count")


async def test_external_edit_during_editing_opens_the_conflict_dialog(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            theirs = json.loads(path.read_text()) | {"description": "Changed in vim meanwhile."}
            write_skill_file(path.parent, theirs)
            replace_value(app.screen.query_one(TextArea), "name", "Mine")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen), what="dialog")
            diff = plain(app.screen.query_one("#conflict-diff-text", Static))
            assert '+  "name": "Mine"' in diff and '-  "description": "Changed in vim' in diff
            await pilot.press("escape")  # back to the editor: nothing written
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            assert json.loads(path.read_text())["name"] != "Mine"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen), what="dialog")
            await pilot.press("k")  # keep mine, over exactly the version shown
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="saved")
            saved = json.loads(path.read_text())
            assert saved["name"] == "Mine"
            assert saved["description"] == fixed_skill(0)["description"]  # mine wins whole


async def test_conflict_take_theirs_and_merge(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            for choice in ("m", "t"):
                await pilot.press("e")
                await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
                theirs = json.loads(path.read_text()) | {"description": f"theirs {choice}"}
                write_skill_file(path.parent, theirs)
                replace_value(app.screen.query_one(TextArea), "description", f"mine {choice}")
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen), what="dialog")
                await pilot.press(choice)
                if choice == "t":
                    await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="list")
                    assert json.loads(path.read_text())["description"] == "theirs t"
                    continue
                await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="ed")
                area = app.screen.query_one(TextArea)
                assert "<<<<<<< mine" in area.text and ">>>>>>> theirs" in area.text
                status = plain(app.screen.query_one("#editor-status", Static))
                assert "blocked" in status
                # Resolve: take our line, drop the markers, save over theirs.
                lines = [ln for ln in area.text.splitlines()
                         if not ln.startswith(("<<<<<<<", "=======", ">>>>>>>"))
                         and '"theirs m"' not in ln]
                area.load_text("\n".join(lines) + "\n")
                await pilot.pause()
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="list")
                assert json.loads(path.read_text())["description"] == "mine m"


async def test_history_shows_the_save_and_invalid_skills_are_marked(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[0]
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            replace_value(app.screen.query_one(TextArea), "name", "With history")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back")
            history = app.screen.query_one("#detail-history", Static)
            await wait_for(pilot, lambda: "skill." in plain(history), what="audit entry")
            assert "→" in plain(history)
            # The file turns invalid behind our back: the detail says so, in its own style.
            (ws_root / "skills" / f"{skill_id}.json").write_text('{"id": ')
            # The watcher moves it from the table to the invalid list; then the user opens it.
            table = app.screen.query_one("#skills-table", DataTable)
            await wait_for(pilot, lambda: skill_id not in table.rows, what="row to leave the table")
            app.screen.show_skill(skill_id)
            await detail_shows(pilot, "invalid")
            assert "no — " in plain(app.screen.query_one("#detail-meta", Static))


async def test_an_invalid_file_is_repaired_in_the_editor(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            invalid = app.screen.query_one("#skills-invalid", DataTable)
            await wait_for(pilot, lambda: invalid.row_count == 1, what="invalid list")
            invalid.focus()
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            area = app.screen.query_one(TextArea)
            assert area.text.startswith('{\n  "id": "broken"')  # the raw bytes, as they are
            assert "line 4" in plain(app.screen.query_one("#editor-status", Static))
            area.replace('  "name": "Fixed"\n}\n', (2, 0), area.document.end)
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back")
            assert json.loads((ws_root / "skills" / "broken.json").read_text())["name"] == "Fixed"
            await wait_for(pilot, lambda: f"of {SKILL_COUNT + 1}" in status_of(app), what="valid now")
            await wait_for(pilot, lambda: not invalid.display, what="invalid list hidden")



async def test_new_skill_with_a_taken_id_is_a_conflict_not_an_overwrite(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            taken = ids_of(app)[1]
            path = ws_root / "skills" / f"{taken}.json"
            before = path.read_bytes()
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            replace_value(app.screen.query_one(TextArea), "id", taken)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen), what="dialog")
            assert "already exists" in plain(app.screen.query_one("#conflict-title", Static))
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="list")
            assert path.read_bytes() == before


async def test_an_invalid_file_can_be_deleted_after_confirming(ws_root: Path) -> None:
    from screens.skill_widgets import ConfirmScreen

    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            invalid = app.screen.query_one("#skills-invalid", DataTable)
            await wait_for(pilot, lambda: invalid.row_count == 1, what="invalid list")
            invalid.focus()
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
            assert "Expecting value" in plain(app.screen.query_one("#confirm-body", Static))
            await pilot.press("y")
            await wait_for(pilot, lambda: not (ws_root / "skills" / "broken.json").exists(),
                           what="file deleted")
            await wait_for(pilot, lambda: not invalid.display, what="invalid list hidden")
            assert len(list((ws_root / "skills").glob("*.json"))) == SKILL_COUNT
