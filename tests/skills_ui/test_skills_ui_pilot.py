"""Pilot tests of the Skills screen over a real workspace (files on disk, real store)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import SKILL_COUNT, fixed_skill, make_app, open_ws, plain, wait_for, write_skill_file
from textual.widgets import DataTable, Input, Static, TextArea

from screens.skill_conflict import ConflictScreen
from screens.skill_editor import SkillEditorScreen
from screens.skill_widgets import ConfirmScreen
from screens.skills import SkillsScreen


def _table(app) -> DataTable:  # noqa: ANN001
    return app.screen.query_one("#skills-table", DataTable)


def _status(app) -> str:  # noqa: ANN001
    return plain(app.screen.query_one("#skills-status", Static))


def _ids(app) -> list[str]:  # noqa: ANN001
    return [str(key.value) for key in _table(app).rows]


async def _ready(pilot) -> None:  # noqa: ANN001
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SkillsScreen), what="skills screen")
    await wait_for(pilot, lambda: _table(pilot.app).row_count == 50, what="first page")


async def _detail_for(pilot, skill_id: str) -> None:  # noqa: ANN001
    def shown() -> bool:
        title = pilot.app.screen.query_one("#detail-title", Static)
        return skill_id in plain(title)
    await wait_for(pilot, shown, what=f"detail of {skill_id}")


async def test_first_page_paging_and_invalid_files(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            assert f"1–50 of {SKILL_COUNT}" in _status(app)
            assert _ids(app) == sorted(_ids(app))  # sorted by id, ascending
            invalid = app.screen.query_one("#skills-invalid", DataTable)
            await wait_for(pilot, lambda: invalid.row_count == 1, what="invalid list")
            assert invalid.get_row_at(0)[0] == "broken.json"
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: _table(app).row_count == SKILL_COUNT - 50, what="page 2")
            assert "51–60" in _status(app) and "page 2/2" in _status(app)
            await pilot.press("pagedown")  # no third page: stays
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: _table(app).row_count == 50, what="page 1 again")


async def test_sort_keys_reorder_the_page(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            first = _ids(app)[0]
            await pilot.press("S")  # reverse
            await wait_for(pilot, lambda: _ids(app)[0] != first, what="reversed order")
            every = sorted(fixed_skill(i)["id"] for i in range(SKILL_COUNT))
            assert _ids(app)[0] == every[-1] and "sort id ↓" in _status(app)
            await pilot.press("s")  # next column: name, ascending
            await wait_for(pilot, lambda: "sort name ↑" in _status(app), what="sort by name")
            names = [str(_table(app).get_row(key)[1]) for key in _table(app).rows]
            assert names == sorted(names)


async def test_filter_as_you_type_by_tag_and_text(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            await pilot.press("slash")
            assert app.screen.query_one("#skill-filter", Input).has_focus
            await pilot.press(*"tag:rag")
            expected = sorted(fixed_skill(i)["id"] for i in range(SKILL_COUNT) if i % 4 == 3)
            await wait_for(pilot, lambda: _ids(app) == expected, what="tag filter")
            await pilot.press("space", *"echo")
            await wait_for(pilot, lambda: _ids(app) == [i for i in expected if "echo" in i],
                           what="tag + text filter")
            await pilot.press("escape")  # clears the filter
            await wait_for(pilot, lambda: _table(app).row_count == 50, what="unfiltered")
            await pilot.press("slash", *"no-such-thing")
            await wait_for(pilot, lambda: _table(app).row_count == 0, what="empty result")
            await _detail_for(pilot, "No skill matches")


async def test_detail_shows_tiers_validity_and_history(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            await pilot.press("down")
            second = _ids(app)[1]
            await _detail_for(pilot, second)
            tiers = plain(app.screen.query_one("#detail-tiers", Static))
            assert "served from" in tiers and re.search(r"disk +current", tiers)
            meta = plain(app.screen.query_one("#detail-meta", Static))
            assert "owner" in meta  # an unknown field is kept and shown as extra
            history = plain(app.screen.query_one("#detail-history", Static))
            assert "no recorded changes" in history


async def test_invalid_json_blocks_save_and_points_at_the_line(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            skill_id = _ids(app)[0]
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
            await _ready(pilot)
            skill_id = _ids(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            old = json.loads(path.read_text())
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            _replace_value(app.screen.query_one(TextArea), "name", "Renamed in the TUI")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back to list")
            new = json.loads(path.read_text())
            assert new["name"] == "Renamed in the TUI" and new["version"] == old["version"] + 1
            assert new["owner"] == "team-a"  # unknown fields survive the editor
            await wait_for(pilot, lambda: _table(app).get_row(skill_id)[1] == "Renamed in the TUI",
                           what="row refreshed")


async def test_new_and_duplicate_create_files(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            source = _ids(app)[0]
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back")
            copy = json.loads((ws_root / "skills" / f"{source}-copy.json").read_text())
            assert copy["name"].endswith("(copy)") and copy["code"] == fixed_skill(0)["code"]
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            _replace_value(app.screen.query_one(TextArea), "id", "brand-new")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back")
            assert json.loads((ws_root / "skills" / "brand-new.json").read_text())["version"] >= 1
            await wait_for(pilot, lambda: f"of {SKILL_COUNT + 2}" in _status(app), what="count")


async def test_delete_asks_first(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            skill_id = _ids(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
            await pilot.press("n")
            await pilot.pause(0.1)
            assert path.exists()
            await pilot.press("delete")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
            await pilot.press("y")
            await wait_for(pilot, lambda: not path.exists(), what="file deleted")
            await wait_for(pilot, lambda: skill_id not in _ids(app), what="row gone")
            await wait_for(pilot, lambda: f"of {SKILL_COUNT - 1}" in _status(app), what="count")


async def test_external_edit_during_editing_opens_the_conflict_dialog(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            skill_id = _ids(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            theirs = json.loads(path.read_text()) | {"description": "Changed in vim meanwhile."}
            write_skill_file(path.parent, theirs)
            _replace_value(app.screen.query_one(TextArea), "name", "Mine")
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
            await _ready(pilot)
            skill_id = _ids(app)[0]
            path = ws_root / "skills" / f"{skill_id}.json"
            for choice in ("m", "t"):
                await pilot.press("e")
                await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
                theirs = json.loads(path.read_text()) | {"description": f"theirs {choice}"}
                write_skill_file(path.parent, theirs)
                _replace_value(app.screen.query_one(TextArea), "description", f"mine {choice}")
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


async def test_a_change_from_elsewhere_refreshes_the_row(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            skill_id = _ids(app)[3]
            served = ws.skills.get_with_tier(skill_id)
            ws.skills.put(served.skill.evolve(name="Saved by another tool"), expected=served.hash)
            await wait_for(pilot, lambda: _table(app).get_row(skill_id)[1] == "Saved by another tool",
                           what="row refreshed by the event")


def _replace_value(area: TextArea, key: str, value: str) -> None:
    """Replace the top-level ``"key": ...`` line of pretty JSON with a new string value."""
    lines = area.text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith(f'  "{key}":'):
            comma = "," if line.rstrip().endswith(",") else ""
            start, end = (number, 0), (number, len(line))
            area.replace(f'  "{key}": {json.dumps(value)}{comma}', start, end)
            return
    raise AssertionError(f"no top-level {key!r} line")


async def test_clicking_a_header_sorts_by_it_and_again_reverses(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            table = _table(app)
            x = table.columns["id"].get_render_width(table) + 2  # inside the "name" header
            await pilot.click("#skills-table", offset=(x, 0))
            await wait_for(pilot, lambda: "sort name ↑" in _status(app), what="sort by name")
            await pilot.click("#skills-table", offset=(x, 0))
            await wait_for(pilot, lambda: "sort name ↓" in _status(app), what="reversed")
            names = [str(table.get_row(key)[1]) for key in table.rows]
            assert names == sorted(names, reverse=True)


async def test_history_shows_the_save_and_invalid_skills_are_marked(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            skill_id = _ids(app)[0]
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")
            _replace_value(app.screen.query_one(TextArea), "name", "With history")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillsScreen), what="back")
            history = app.screen.query_one("#detail-history", Static)
            await wait_for(pilot, lambda: "skill." in plain(history), what="audit entry")
            assert "→" in plain(history)
            # The file turns invalid behind our back: the detail says so, in its own style.
            (ws_root / "skills" / f"{skill_id}.json").write_text('{"id": ')
            app.screen.show_skill(skill_id)
            await _detail_for(pilot, "invalid")
            assert "no — " in plain(app.screen.query_one("#detail-meta", Static))


async def test_an_invalid_file_is_repaired_in_the_editor(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
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
            await wait_for(pilot, lambda: f"of {SKILL_COUNT + 1}" in _status(app), what="valid now")
            await wait_for(pilot, lambda: not invalid.display, what="invalid list hidden")


async def test_open_in_editor_without_editor_says_what_to_set(ws_root: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            await pilot.press("o")
            await pilot.pause()
            messages = [n.message for n in app._notifications]
            assert any("Set $EDITOR" in m for m in messages), messages
