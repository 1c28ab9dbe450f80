"""The Redis tier: fills, stale copies, the circuit breaker, and prefix-only admin."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from services import RedisServer
from skills_fixtures import make_workspace, sample

from backend.errors import ValidationError
from backend.skills import content_hash
from backend.skills.redis_tier import decode


def _warm(ws, ident: str) -> None:  # noqa: ANN001
    """Put past the racy window and re-verified, so Redis holds a servable copy."""
    time.sleep(0.12)
    ws.skills.get(ident)
    assert ws.skills.flush(2.0)


def test_fresh_store_is_served_from_redis(tmp_path: Path, redis_url: str) -> None:
    with make_workspace(tmp_path / "w", redis_url) as ws:
        saved = ws.skills.put(sample("alpha"))
        _warm(ws, "alpha")
    with make_workspace(tmp_path / "w", redis_url) as ws2:
        first = ws2.skills.get_with_tier("alpha")
        assert (first.tier, first.skill) == ("redis", saved)
        assert ws2.skills.get_with_tier("alpha").tier == "memory"
        view = ws2.skills.tier_view("alpha")
        assert view.memory.hash == view.redis.hash == view.disk.hash
        assert 0 < view.redis.ttl <= 7 * 86400
        stats = ws2.skills.stats()
        assert stats["redis"].hits == 1 and stats["memory"].hits >= 1


def test_restart_with_stale_data_is_not_served(tmp_path: Path, redis_url: str,
                                               redis_server: RedisServer) -> None:
    with make_workspace(tmp_path / "w", redis_url) as ws:
        saved = ws.skills.put(sample("beta"))
        _warm(ws, "beta")
        key = ws.redis_prefix + "skill:beta"
        path = tmp_path / "w" / "skills" / "beta.json"
        path.write_bytes(saved.evolve(description="edited").to_bytes())
        redis_server.restart(keep_data=True)
        raw = redis_server.client().get(key)
        assert raw is not None and decode(raw).hash == content_hash(saved.to_bytes())  # really stale
    with make_workspace(tmp_path / "w", redis_url) as ws2:
        got = ws2.skills.get_with_tier("beta")
        assert got.tier == "disk" and got.skill.description == "edited"
        ws2.skills.flush(2.0)
        assert ws2.skills.tier_view("beta").redis.hash == content_hash(path.read_bytes())


def test_breaker_opens_when_redis_dies_and_closes_after(tmp_path: Path, redis_url: str,
                                                        redis_server: RedisServer) -> None:
    with make_workspace(tmp_path / "w", redis_url) as ws:
        store = ws.skills
        store.put(sample("gamma"))
        assert store.redis_state().breaker == "closed"
        redis_server.kill()
        store.invalidate_all()
        t0 = time.perf_counter()
        assert store.get("gamma").id == "gamma"
        assert time.perf_counter() - t0 < 1.0
        state = store.redis_state()
        assert state.breaker == "open" and state.last_error
        store.invalidate_all()
        t0 = time.perf_counter()
        store.get("gamma")  # breaker open: Redis not even tried
        assert time.perf_counter() - t0 < 0.05
        store.put(store.get("gamma").evolve(code="x"), expected=1)
        redis_server.restart()
        time.sleep(0.6)  # first backoff is 0.5 s
        store.invalidate_all()
        store.get("gamma")  # the half-open probe succeeds
        assert store.redis_state().breaker == "closed"


def test_hung_redis_costs_one_timeout_then_nothing(tmp_path: Path, redis_url: str,
                                                    redis_server: RedisServer) -> None:
    with make_workspace(tmp_path / "w", redis_url) as ws:
        store = ws.skills
        saved = store.put(sample("delta"))
        store.flush(2.0)
        redis_server.hang()
        try:
            store.invalidate_all()
            t0 = time.perf_counter()
            assert store.get("delta") == saved
            assert time.perf_counter() - t0 < 1.0
            t0 = time.perf_counter()
            saved = store.put(saved.evolve(code="y"), expected=saved.version)
            assert time.perf_counter() - t0 < 1.0
            assert store.redis_state().breaker in ("open", "half-open")
            assert store.get("delta").code == "y"
        finally:
            redis_server.resume()


def test_admin_touches_only_our_prefix(tmp_path: Path, redis_url: str, redis_server: RedisServer) -> None:
    raw = redis_server.client()
    raw.set("foreign:key", b"x")
    with make_workspace(tmp_path / "w", redis_url) as ws:
        raw.set("storeroom:someone-else:skill:a", b"x")
        for i in range(12):
            ws.skills.put(sample(f"k{i}"))
        ws.skills.flush(2.0)
        keys, cursor = [], 0
        while True:
            page = ws.skills.redis_keys(cursor, count=5)
            keys += page.keys
            cursor = page.cursor
            if cursor == 0:
                break
        names = {k.key for k in keys}
        assert names == {ws.redis_prefix + f"skill:k{i}" for i in range(12)}
        assert all(k.type == "string" and k.ttl > 0 and k.size for k in keys)
        with pytest.raises(ValidationError):
            ws.skills.evict("foreign:key")
        assert ws.skills.evict(ws.redis_prefix + "skill:k0") is True
        assert ws.skills.evict_all_preview() == 11
        assert ws.skills.evict_all() == 11
        assert ws.skills.evict_all_preview() == 0
        assert ws.skills.get("k3").id == "k3"  # still there: disk is the truth
    assert raw.get("foreign:key") == b"x"
    assert raw.get("storeroom:someone-else:skill:a") == b"x"


def test_without_redis_state_is_off(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        state = ws.skills.redis_state()
        assert (state.configured, state.breaker) == (False, "off")
        assert ws.skills.tier_view("nothing").redis_error == "not configured"


def test_foreign_or_damaged_value_under_our_key_is_replaced(tmp_path: Path, redis_url: str,
                                                            redis_server: RedisServer) -> None:
    with make_workspace(tmp_path / "w", redis_url) as ws:
        saved = ws.skills.put(sample("eps"))
        _warm(ws, "eps")
        key = ws.redis_prefix + "skill:eps"
        raw = redis_server.client()
        for junk in (b"not ours", b"SRS1" + b"\0" * 60, decode(raw.get(key)).raw):  # last: no header
            raw.set(key, junk)
            ws.skills.invalidate("eps")
            got = ws.skills.get_with_tier("eps")
            assert (got.tier, got.skill) == ("disk", saved)
            ws.skills.flush(2.0)
            assert decode(raw.get(key)).hash == content_hash((tmp_path / "w" / "skills" / "eps.json").read_bytes())


def test_get_many_skips_missing_and_invalid(tmp_path: Path, redis_url: str) -> None:
    with make_workspace(tmp_path / "w", redis_url) as ws:
        a = ws.skills.put(sample("a1"))
        b = ws.skills.put(sample("b1"))
        (tmp_path / "w" / "skills" / "bad.json").write_bytes(b"{")
        assert ws.skills.get_many(["a1", "nope", "bad", "b1", "../x"]) == {"a1": a, "b1": b}


def test_rewrite_that_puts_size_and_mtime_back_is_not_served_from_redis(tmp_path: Path, redis_url: str) -> None:
    """``cp -p``/``rsync -t`` style: same size, same inode, the old mtime restored, done
    while no storeroom runs. Redis's copy still matches mtime, size and inode; the
    ctime (which no program can put back) tells the next process it is stale."""
    with make_workspace(tmp_path / "w", redis_url) as ws:
        saved = ws.skills.put(sample("gamma", code="# aaaa"))
        _warm(ws, "gamma")
    path = tmp_path / "w" / "skills" / "gamma.json"
    st = path.stat()
    path.write_bytes(path.read_bytes().replace(b"# aaaa", b"# bbbb"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_mtime_ns, after.st_size, after.st_ino) == (st.st_mtime_ns, st.st_size, st.st_ino)
    with make_workspace(tmp_path / "w", redis_url) as ws2:
        assert decode(ws2.skills._redis.get("gamma")).hash == content_hash(saved.to_bytes())  # stale copy there
        got = ws2.skills.get_with_tier("gamma")
        assert (got.tier, got.skill.code) == ("disk", "# bbbb")


def test_without_a_change_feed_memory_sees_a_rewrite_that_puts_the_mtime_back(tmp_path: Path) -> None:
    """Where inotify cannot watch (here: skills/ is a symbolic link), every memory hit
    stats the file; the ctime shows a rewrite that kept size, inode and mtime."""
    root = tmp_path / "w"
    (tmp_path / "elsewhere").mkdir()
    root.mkdir()
    (root / "skills").symlink_to(tmp_path / "elsewhere")
    with make_workspace(root) as ws:
        store = ws.skills
        assert not store._feed.enabled
        store.put(sample("delta", code="# aaaa"))
        time.sleep(0.12)  # past the racy window: a copy read now is trusted on its fingerprint
        store.invalidate("delta")
        store.get("delta")
        assert store.get_with_tier("delta").tier == "memory"
        path = root / "skills" / "delta.json"
        st = path.stat()
        path.write_bytes(path.read_bytes().replace(b"# aaaa", b"# bbbb"))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        got = store.get_with_tier("delta")
        assert (got.tier, got.skill.code) == ("disk", "# bbbb")
