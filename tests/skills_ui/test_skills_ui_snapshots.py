"""SVG snapshots (120x40) of the Skills and Cache screens over fixed data.

The workspace is named and id'd 'demo', every skill has fixed timestamps, and the Cache
screen's noisy values (port, latency, memory, error text) go through StableCache.
"""

from __future__ import annotations

import json
from pathlib import Path

from skills_ui_fixtures import (
    detail_shows,
    ids_of,
    make_app,
    open_ws,
    plain,
    replace_value,
    search_settled,
    skills_ready,
    wait_for,
    write_skill_file,
)
from textual.widgets import DataTable, Static, TextArea

from screens.cache import CacheScreen
from screens.skill_conflict import ConflictScreen
from screens.skill_editor import SkillEditorScreen

SIZE = (120, 40)


def test_snapshot_skills_screen(ws_root: Path, snap_compare) -> None:  # noqa: ANN001
    async def settle(pilot) -> None:  # noqa: ANN001
        await skills_ready(pilot)
        await search_settled(pilot)
        await detail_shows(pilot, ids_of(pilot.app)[0])
        tiers = pilot.app.screen.query_one("#detail-tiers", Static)
        # The page is listed twice on a cold start (quick, then exact), so by now the
        # selected skill was read once and is served from memory.
        await wait_for(pilot, lambda: "served from  memory" in plain(tiers), what="memory tier")
        invalid = pilot.app.screen.query_one("#skills-invalid", DataTable)
        await wait_for(pilot, lambda: invalid.row_count == 1, what="invalid list")
        await pilot.pause(0.1)

    with open_ws(ws_root) as ws:
        assert snap_compare(make_app(ws), terminal_size=SIZE, run_before=settle)


def test_snapshot_editor_with_an_error(ws_root: Path, snap_compare) -> None:  # noqa: ANN001
    async def settle(pilot) -> None:  # noqa: ANN001
        await skills_ready(pilot)
        await search_settled(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, SkillEditorScreen), what="editor")
        pilot.app.screen.query_one(TextArea).insert("oops", (4, 0))
        await pilot.pause(0.1)

    with open_ws(ws_root) as ws:
        assert snap_compare(make_app(ws), terminal_size=SIZE, run_before=settle)


def test_snapshot_conflict_dialog(ws_root: Path, snap_compare) -> None:  # noqa: ANN001
    async def settle(pilot) -> None:  # noqa: ANN001
        await skills_ready(pilot)
        await search_settled(pilot)
        skill_id = ids_of(pilot.app)[0]
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, SkillEditorScreen), what="editor")
        path = ws_root / "skills" / f"{skill_id}.json"
        theirs = json.loads(path.read_text()) | {"description": "Changed in another editor."}
        write_skill_file(path.parent, theirs)
        replace_value(pilot.app.screen.query_one(TextArea), "name", "My new name")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen), what="dialog")
        await pilot.pause(0.1)

    with open_ws(ws_root) as ws:
        assert snap_compare(make_app(ws), terminal_size=SIZE, run_before=settle)


async def _cache_settled(pilot, keys: int) -> None:  # noqa: ANN001
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CacheScreen), what="cache screen")
    summary = pilot.app.screen.query_one("#redis-summary", Static)
    await wait_for(pilot, lambda: "loading" not in plain(summary), what="sample")
    table = pilot.app.screen.query_one("#cache-keys", DataTable)
    await wait_for(pilot, lambda: table.row_count == keys, what=f"{keys} keys")
    if keys:  # and measured: a loaded machine can paint new rows before the widths catch up
        longest = max(len(str(table.get_row_at(i)[0])) for i in range(keys))
        first = next(iter(table.columns.values()))
        await wait_for(pilot, lambda: first.content_width >= longest, what="key column width")
    status = pilot.app.screen.query_one("#keys-status", Static)
    await wait_for(pilot, lambda: bool(plain(status).strip()), what="keys status")
    await wait_for(pilot, lambda: bool(pilot.app.screen.history.samples["memory"]),
                   what="ratio sample")
    await pilot.pause(0.1)


def _warm(ws) -> None:  # noqa: ANN001
    ids = [item.id for item in ws.skills.list(limit=4).items]
    for _ in range(2):
        for ident in ids:
            ws.skills.get(ident)
    ws.skills.flush(timeout=2.0)


def test_snapshot_cache_with_redis(ws_root: Path, snap_compare, redis_url: str) -> None:  # noqa: ANN001
    with open_ws(ws_root, STOREROOM_REDIS_URL=redis_url) as ws:
        _warm(ws)
        assert snap_compare(make_app(ws, mode="cache"), terminal_size=SIZE,
                            run_before=lambda pilot: _cache_settled(pilot, 4))


def test_snapshot_cache_redis_down(ws_root: Path, snap_compare, redis_server) -> None:  # noqa: ANN001
    url = redis_server.url
    redis_server.stop()
    try:
        with open_ws(ws_root, STOREROOM_REDIS_URL=url) as ws:
            _warm(ws)
            assert snap_compare(make_app(ws, mode="cache"), terminal_size=SIZE,
                                run_before=lambda pilot: _cache_settled(pilot, 0))
    finally:
        redis_server.ensure_ready()
