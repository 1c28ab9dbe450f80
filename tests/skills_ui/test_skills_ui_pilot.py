"""Pilot tests of the Skills screen: paging, sorting, filtering, detail, delete, live rows."""

from __future__ import annotations

import re
from pathlib import Path

from skills_ui_fixtures import (
    SKILL_COUNT,
    detail_shows,
    fixed_skill,
    ids_of,
    make_app,
    open_ws,
    plain,
    skills_ready,
    status_of,
    table_of,
    wait_for,
)
from textual.widgets import DataTable, Input, Static

from screens.skill_widgets import ConfirmScreen


async def test_first_page_paging_and_invalid_files(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            assert f"1–50 of {SKILL_COUNT}" in status_of(app)
            assert ids_of(app) == sorted(ids_of(app))  # sorted by id, ascending
            invalid = app.screen.query_one("#skills-invalid", DataTable)
            await wait_for(pilot, lambda: invalid.row_count == 1, what="invalid list")
            assert invalid.get_row_at(0)[0] == "broken.json"
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: table_of(app).row_count == SKILL_COUNT - 50, what="page 2")
            assert "51–60" in status_of(app) and "page 2/2" in status_of(app)
            await pilot.press("pagedown")  # no third page: stays
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: table_of(app).row_count == 50, what="page 1 again")


async def test_sort_keys_reorder_the_page(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            first = ids_of(app)[0]
            await pilot.press("S")  # reverse
            await wait_for(pilot, lambda: ids_of(app)[0] != first, what="reversed order")
            every = sorted(fixed_skill(i)["id"] for i in range(SKILL_COUNT))
            assert ids_of(app)[0] == every[-1] and "sort id ↓" in status_of(app)
            await pilot.press("s")  # next column: name, ascending
            await wait_for(pilot, lambda: "sort name ↑" in status_of(app), what="sort by name")
            names = [str(table_of(app).get_row(key)[1]) for key in table_of(app).rows]
            assert names == sorted(names)


async def test_filter_as_you_type_by_tag_and_text(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            await pilot.press("slash")
            assert app.screen.query_one("#skill-filter", Input).has_focus
            await pilot.press(*"tag:rag")
            expected = sorted(fixed_skill(i)["id"] for i in range(SKILL_COUNT) if i % 4 == 3)
            await wait_for(pilot, lambda: ids_of(app) == expected, what="tag filter")
            await pilot.press("space", *"echo")
            await wait_for(pilot, lambda: ids_of(app) == [i for i in expected if "echo" in i],
                           what="tag + text filter")
            await pilot.press("escape")  # clears the filter
            await wait_for(pilot, lambda: table_of(app).row_count == 50, what="unfiltered")
            await pilot.press("slash", *"no-such-thing")
            await wait_for(pilot, lambda: table_of(app).row_count == 0, what="empty result")
            await detail_shows(pilot, "No skill matches")
            assert not app.screen.query_one("#detail-history-title").display


async def test_detail_shows_tiers_validity_and_history(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            await pilot.press("down")
            second = ids_of(app)[1]
            await detail_shows(pilot, second)
            tiers = plain(app.screen.query_one("#detail-tiers", Static))
            assert "served from" in tiers and re.search(r"disk +current", tiers)
            meta = plain(app.screen.query_one("#detail-meta", Static))
            assert "owner" in meta  # an unknown field is kept and shown as extra
            history = plain(app.screen.query_one("#detail-history", Static))
            assert "no recorded changes" in history


async def test_delete_asks_first(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[0]
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
            await wait_for(pilot, lambda: skill_id not in ids_of(app), what="row gone")
            await wait_for(pilot, lambda: f"of {SKILL_COUNT - 1}" in status_of(app), what="count")


async def test_a_change_from_elsewhere_refreshes_the_row(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[3]
            served = ws.skills.get_with_tier(skill_id)
            ws.skills.put(served.skill.evolve(name="Saved by another tool"), expected=served.hash)
            await wait_for(pilot, lambda: table_of(app).get_row(skill_id)[1] == "Saved by another tool",
                           what="row refreshed by the event")





async def test_clicking_a_header_sorts_by_it_and_again_reverses(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            table = table_of(app)
            x = table.columns["id"].get_render_width(table) + 2  # inside the "name" header
            await pilot.click("#skills-table", offset=(x, 0))
            await wait_for(pilot, lambda: "sort name ↑" in status_of(app), what="sort by name")
            await pilot.click("#skills-table", offset=(x, 0))
            await wait_for(pilot, lambda: "sort name ↓" in status_of(app), what="reversed")
            names = [str(table.get_row(key)[1]) for key in table.rows]
            assert names == sorted(names, reverse=True)


async def test_open_in_editor_without_editor_says_what_to_set(ws_root: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            await pilot.press("o")
            await pilot.pause()
            messages = [n.message for n in app._notifications]
            assert any("Set $EDITOR" in m for m in messages), messages


async def test_actions_are_in_the_command_palette(ws_root: Path) -> None:
    from textual.command import CommandList, CommandPalette

    from screens.skill_editor import SkillEditorScreen

    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
            await pilot.press(*"Skills: Edit")
            found = app.screen.query_one(CommandList)
            await wait_for(pilot, lambda: found.option_count > 0
                           and "Skills: Edit" in str(found.get_option_at_index(0).prompt),
                           what="matching command")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="editor")


async def test_redis_down_detail_says_unreachable_and_edits_still_save(ws_root: Path,
                                                                       redis_server) -> None:  # noqa: ANN001
    url = redis_server.url
    redis_server.stop()
    try:
        with open_ws(ws_root, STOREROOM_REDIS_URL=url) as ws:
            app = make_app(ws)
            async with app.run_test(size=(120, 40)) as pilot:
                await skills_ready(pilot)
                skill_id = ids_of(app)[0]
                await detail_shows(pilot, skill_id)
                tiers = app.screen.query_one("#detail-tiers", Static)
                await wait_for(pilot, lambda: "redis  unreachable" in plain(tiers), what="badge")
                await pilot.press("d")  # duplicate + save: the file is durable without Redis
                from screens.skill_editor import SkillEditorScreen
                await wait_for(pilot, lambda: isinstance(app.screen, SkillEditorScreen), what="ed")
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: (ws_root / "skills" / f"{skill_id}-copy.json").exists(),
                               what="saved without Redis")
                assert app.return_code is None
    finally:
        redis_server.ensure_ready()


async def test_the_skill_on_show_stays_when_it_turns_invalid_behind_our_back(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws)
        async with app.run_test(size=(120, 40)) as pilot:
            await skills_ready(pilot)
            skill_id = ids_of(app)[3]
            for _ in range(3):
                await pilot.press("down")
            await detail_shows(pilot, skill_id)
            (ws_root / "skills" / f"{skill_id}.json").write_text("{ not json", encoding="utf-8")
            app.screen.load_page()  # what the watcher's catalogue event does
            await wait_for(pilot, lambda: skill_id not in ids_of(app), what="row gone")
            await wait_for(pilot, lambda: "invalid" in plain(app.screen.query_one("#detail-title", Static)),
                           what="detail marks it invalid")
            assert skill_id in plain(app.screen.query_one("#detail-title", Static))
            assert app.screen.selected_id == skill_id
            assert table_of(app).cursor_row == 3  # the cursor stays where it was
            # Moving on selects as usual.
            await pilot.press("down")
            await detail_shows(pilot, ids_of(app)[4])
