"""Pilot tests of the Cache screen against a real throwaway Redis (and without one)."""

from __future__ import annotations

from pathlib import Path

import redis
from skills_ui_fixtures import make_app, open_ws, plain, wait_for
from textual.widgets import DataTable, Static

from screens.cache import CacheScreen
from screens.skill_widgets import ConfirmScreen

PREFIX = "storeroom:demo:"


def _keys(app) -> DataTable:  # noqa: ANN001
    return app.screen.query_one("#cache-keys", DataTable)


def _text(app, selector: str) -> str:  # noqa: ANN001
    return plain(app.screen.query_one(selector, Static))


def _warm(ws, count: int) -> list[str]:  # noqa: ANN001
    """Read ``count`` skills twice (disk, then memory) so Redis holds them."""
    ids = [item.id for item in ws.skills.list(limit=count).items]
    for _ in range(2):
        for ident in ids:
            ws.skills.get(ident)
    assert ws.skills.flush(timeout=2.0)
    return ids


async def _ready(pilot) -> None:  # noqa: ANN001
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CacheScreen), what="cache screen")
    await wait_for(pilot, lambda: "loading" not in _text(pilot.app, "#redis-summary"),
                   what="first sample")


async def test_lists_our_keys_only_and_evicts_one_then_all(ws_root: Path, redis_url: str) -> None:
    other = redis.Redis.from_url(redis_url)
    other.set("someone-else:key", "x")  # another application's key: never shown or deleted
    with open_ws(ws_root, STOREROOM_REDIS_URL=redis_url) as ws:
        ids = _warm(ws, 5)
        app = make_app(ws, mode="cache")
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            assert "Redis is connected" in _text(app, "#redis-summary")
            await wait_for(pilot, lambda: _keys(app).row_count >= 5, what="keys listed")
            listed = [str(key.value) for key in _keys(app).rows]
            assert all(key.startswith(PREFIX) for key in listed)
            assert any(ident in key for key in listed for ident in ids)
            victim = listed[0]
            _keys(app).focus()
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
            await pilot.press("y")
            await wait_for(pilot, lambda: victim not in [str(k.value) for k in _keys(app).rows],
                           what="row gone")
            assert not other.exists(victim)
            await pilot.press("X")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="preview")
            assert f"{len(listed) - 1} key(s)" in _text(app, "#confirm-body")
            await pilot.press("y")
            await wait_for(pilot, lambda: _keys(app).row_count == 0, what="all evicted")
            assert not list(other.scan_iter(match=PREFIX + "*"))
            assert other.get("someone-else:key") == b"x"
    other.close()


async def test_hit_ratio_sparklines_follow_the_samples(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        _warm(ws, 5)  # 5 disk reads, then 5 memory hits
        app = make_app(ws, mode="cache")
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            memory = app.screen.history.samples["memory"]
            await wait_for(pilot, lambda: len(memory) == 1, what="first sample")
            assert memory[-1] == 0.5  # 5 misses (first reads), 5 hits
            assert _text(app, "#ratio-memory").strip().endswith("▅")
            ws.skills.get(ws.skills.list(limit=1).items[0].id)  # one more memory hit
            app.screen.sample()
            await wait_for(pilot, lambda: len(memory) == 2, what="second sample")
            assert memory[-1] == 1.0  # the last interval was all hits
            assert "100%" in _text(app, "#ratio-label-memory")
            assert _text(app, "#ratio-memory").strip().endswith("▅█")


async def test_redis_down_is_said_plainly_and_memory_keeps_working(ws_root: Path,
                                                                  redis_server) -> None:  # noqa: ANN001
    url = redis_server.url
    redis_server.stop()
    try:
        with open_ws(ws_root, STOREROOM_REDIS_URL=url) as ws:
            _warm_without_redis(ws)
            app = make_app(ws, mode="cache")
            async with app.run_test(size=(120, 40)) as pilot:
                await _ready(pilot)
                summary = _text(app, "#redis-summary")
                assert "Redis is unreachable" in summary and "redis-server" in summary
                assert "hits" in _text(app, "#memory-stats")
                await wait_for(pilot, lambda: "cannot be listed" in _text(app, "#keys-status"),
                               what="keys message")
                await pilot.press("r")
                await pilot.pause(0.2)
                assert app.return_code is None  # no crash
    finally:
        redis_server.ensure_ready()


async def test_no_redis_configured_says_what_to_set(ws_root: Path) -> None:
    with open_ws(ws_root) as ws:
        app = make_app(ws, mode="cache")
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            assert "redis.url" in _text(app, "#redis-summary")
            await wait_for(pilot, lambda: "No Redis configured" in _text(app, "#keys-status"),
                           what="keys message")
            await pilot.press("X")
            await pilot.pause(0.1)
            assert isinstance(app.screen, CacheScreen)  # nothing to confirm


def _warm_without_redis(ws) -> None:  # noqa: ANN001
    ids = [item.id for item in ws.skills.list(limit=3).items]
    for _ in range(2):
        for ident in ids:
            ws.skills.get(ident)


async def test_keys_page_forward_and_back_by_scan_cursor(ws_root: Path, redis_url: str,
                                                         monkeypatch) -> None:  # noqa: ANN001
    import screens.cache

    monkeypatch.setattr(screens.cache, "KEYS_PER_PAGE", 10)
    with open_ws(ws_root, STOREROOM_REDIS_URL=redis_url) as ws:
        _warm(ws, 40)
        app = make_app(ws, mode="cache")
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(pilot)
            await wait_for(pilot, lambda: "more: ]" in _text(app, "#keys-status"), what="page 1")
            first = [str(key.value) for key in _keys(app).rows]
            assert 0 < len(first) < 40
            seen = set(first)
            while "more: ]" in _text(app, "#keys-status"):
                before = [str(key.value) for key in _keys(app).rows]
                await pilot.press("right_square_bracket")
                await wait_for(pilot, lambda b=before: [str(k.value) for k in _keys(app).rows] != b
                               or "end of keys" in _text(app, "#keys-status"), what="next page")
                seen |= {str(key.value) for key in _keys(app).rows}
            assert len(seen) == 40  # every key of ours, once the scan completes
            while "page 1 " not in _text(app, "#keys-status"):
                await pilot.press("left_square_bracket")
                await pilot.pause(0.1)
            await wait_for(pilot, lambda: [str(k.value) for k in _keys(app).rows] == first,
                           what="back on page 1")
