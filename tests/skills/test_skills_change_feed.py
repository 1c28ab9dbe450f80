"""The kernel change feed lets a memory hit skip the stat; nothing it misses may go stale.

Each test edits a skill behind the store's back in a way a stat-only check could miss or
that moves the ground under the feed, then reads through the same store at once.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
from skills_fixtures import make_workspace, sample

from backend.skills.change_feed import ChangeFeed

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")


def _rewrite_keep_stat(path: Path, old: str, new: str) -> None:
    """Same size, same inode, and the old mtime put back: invisible to a stat."""
    st = path.stat()
    raw = path.read_bytes()
    assert len(old) == len(new) and old.encode() in raw
    with open(path, "r+b") as fh:
        fh.write(raw.replace(old.encode(), new.encode()))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_mtime_ns, after.st_size, after.st_ino) == (st.st_mtime_ns, st.st_size, st.st_ino)


def _served_from_memory(store, ident: str) -> None:  # noqa: ANN001
    """Serve ``ident`` from memory, read when the file was past the racy window: from
    then on a stat alone would call the copy current."""
    time.sleep(0.15)
    store.invalidate(ident)
    assert store.get_with_tier(ident).tier == "disk"
    for _ in range(3):
        if store.get_with_tier(ident).tier == "memory":
            return
    raise AssertionError(f"{ident} never served from memory")


def _alpha_in_memory(ws, code: str = "def run():\n    return 1\n"):  # noqa: ANN001, ANN202
    """The workspace's store, with skill ``alpha`` saved and then served from memory."""
    store = ws.skills
    store.put(sample("alpha", code=code))
    _served_from_memory(store, "alpha")
    return store


def test_memory_hits_need_no_stat_while_the_folder_is_quiet(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        assert ws.skills._feed.enabled, ws.skills._feed.reason
        store = _alpha_in_memory(ws)
        path = str(tmp_path / "w" / "skills" / "alpha.json")
        real_stat, stats = os.stat, []

        def counting_stat(p, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
            stats.append(p)
            return real_stat(p, *a, **k)

        os.stat = counting_stat
        try:
            for _ in range(100):
                store.get("alpha")
        finally:
            os.stat = real_stat
        assert path not in [str(p) for p in stats]


def test_rewrite_that_keeps_size_inode_and_mtime_is_seen(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        store = _alpha_in_memory(ws)
        _rewrite_keep_stat(tmp_path / "w" / "skills" / "alpha.json", "return 1", "return 7")
        assert store.get("alpha").code == "def run():\n    return 7\n"


def test_folder_swapped_for_another_is_seen(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        store = _alpha_in_memory(ws)
        skills = tmp_path / "w" / "skills"
        replacement = tmp_path / "other"
        replacement.mkdir()
        data = json.loads((skills / "alpha.json").read_bytes())
        data["code"] = "def run():\n    return 2\n"
        (replacement / "alpha.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        skills.rename(tmp_path / "old-skills")
        replacement.rename(skills)
        assert store.get("alpha").code == "def run():\n    return 2\n"
        # the feed now watches the new folder: an edit there is seen too
        _served_from_memory(store, "alpha")
        _rewrite_keep_stat(skills / "alpha.json", "return 2", "return 3")
        assert store.get("alpha").code == "def run():\n    return 3\n"


def test_workspace_moved_and_a_copy_put_in_its_place_is_seen(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        store = _alpha_in_memory(ws)
        (tmp_path / "w").rename(tmp_path / "w-old")
        shutil.copytree(tmp_path / "w-old", tmp_path / "w", symlinks=True)
        _rewrite_keep_stat(tmp_path / "w" / "skills" / "alpha.json", "return 1", "return 5")
        assert store.get("alpha").code == "def run():\n    return 5\n"


def test_symlinked_folder_turns_the_feed_off_and_still_serves_fresh(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    feed = ChangeFeed(str(tmp_path / "link"), lambda names: None)
    assert not feed.enabled and "symbolic link" in feed.reason
    assert not feed.quiet()  # no feed: every hit checks the file
    feed.close()


def test_drain_names_the_changed_files_and_bumps_the_generation(tmp_path: Path) -> None:
    seen: list[set[str] | None] = []
    feed = ChangeFeed(str(tmp_path), seen.append)
    try:
        assert feed.enabled and feed.quiet()
        (tmp_path / "a.json").write_text("{}")
        (tmp_path / "b.json").write_text("{}")
        assert not feed.quiet()
        generation = feed.generation
        feed.drain()
        assert feed.quiet() and feed.generation == generation + 1
        assert seen == [{"a.json", "b.json"}]
        trusted: list[bool] = []
        feed.trust_if_unchanged(generation, lambda: trusted.append(True))
        assert trusted == []  # a drain ran since: that drain may have been about this file
        feed.trust_if_unchanged(feed.generation, lambda: trusted.append(True))
        assert trusted == [True]
    finally:
        feed.close()
    assert not feed.enabled and not feed.quiet()


def test_threads_reading_while_another_program_edits_never_see_an_old_version(tmp_path: Path) -> None:
    """Readers check the version they get never goes back, and once the writer has
    finished an edit, a read started after it returns that edit or a later one."""
    with make_workspace(tmp_path / "w") as ws:
        store = ws.skills
        store.put(sample("alpha", code="def run():\n    return 0\n"))
        path = tmp_path / "w" / "skills" / "alpha.json"
        done = threading.Event()
        written = [0]
        problems: list[str] = []

        def reader() -> None:
            last = 0
            while not done.is_set():
                floor = written[0]
                value = int(store.get("alpha").code.split("return ")[1])
                if value < floor or value < last:
                    problems.append(f"read {value} after {floor} was written (last seen {last})")
                last = value

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for i in range(1, 10):
                _rewrite_keep_stat(path, f"return {i - 1}", f"return {i}")
                written[0] = i
        finally:
            done.set()
            for t in threads:
                t.join()
        assert not problems, problems[:3]
