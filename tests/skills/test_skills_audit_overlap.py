"""The audit row is inserted on a helper thread while the file is fsynced, and committed
only once the file is durable: every successful save has its row when put() returns,
and a save that failed leaves no row claiming it."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from skills_fixtures import make_workspace, sample

from backend.errors import StorageError
from backend.skills import SkillConflict, content_hash


def _rows(db: Path, ident: str) -> list[tuple[str, str | None, str | None]]:
    """(action, before, after) of one skill, oldest first, read on a connection of our own."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT action, before_hash, after_hash FROM audit WHERE target = ? ORDER BY id",
                            (f"skill:{ident}",)).fetchall()
    finally:
        conn.close()


def _write_locked(db: Path) -> bool:
    """True if another connection holds the database's write lock right now."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        conn.close()


def test_row_is_committed_when_put_returns_from_many_threads(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        db = ws.sqlite_path
        store = ws.skills
        errors: list[BaseException] = []
        saved: list[tuple[str, str]] = []

        def work(t: int) -> None:
            try:
                for i in range(15):
                    ident = f"t{t}-{i % 3}"
                    cur = store.put(sample(ident, code=f"# {t} {i}"), expected=None) if i < 3 else \
                        store.put(store.get(ident).evolve(code=f"# {t} {i}"), expected=store.get(ident).version)
                    h = content_hash(cur.to_bytes())
                    # the row is there, committed, for any other connection: right now
                    assert _rows(db, ident)[-1][2] == h
                    saved.append((ident, h))
            except BaseException as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[0]
        assert len(saved) == 60
        for t in range(4):
            for k in range(3):
                ident = f"t{t}-{k}"
                rows = _rows(db, ident)
                assert [a for _, _, a in rows] == [h for i, h in saved if i == ident]  # one per save, in order
                assert all(r[1] == prev[2] for prev, r in zip(rows, rows[1:], strict=False))  # a chain of hashes


def test_failed_write_leaves_no_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_workspace(tmp_path / "w") as ws:
        db = ws.sqlite_path
        store = ws.skills
        first = store.put(sample("f"))
        real_fsync = os.fsync
        seen_open_transaction: list[bool] = []

        def failing_fsync(fd: int) -> None:
            # The disk fails this file's fsync; meanwhile the helper has the row inserted
            # in an open transaction (it holds the write lock), which must be rolled back.
            deadline = time.monotonic() + 5
            while not _write_locked(db) and time.monotonic() < deadline:
                time.sleep(0.005)
            seen_open_transaction.append(_write_locked(db))
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fsync", failing_fsync)
        with pytest.raises(StorageError):
            store.put(first.evolve(code="# lost"), expected=first.version)
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert seen_open_transaction == [True]  # the insert did overlap the fsync
        assert not _write_locked(db)  # and its transaction is over
        assert [a for _, _, a in _rows(db, "f")] == [content_hash(first.to_bytes())]
        assert not list((tmp_path / "w" / "skills").glob(".*.tmp-*"))
        # the connection is usable: the next save is audited as usual
        second = store.put(first.evolve(code="# kept"), expected=first.version)
        assert [a for _, _, a in _rows(db, "f")][-1] == content_hash(second.to_bytes())
        assert second.version == 2


def test_failed_delete_leaves_no_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_workspace(tmp_path / "w") as ws:
        store = ws.skills
        saved = store.put(sample("d"))
        real_unlink = os.unlink

        def failing_unlink(path: str, *args: object, **kwargs: object) -> None:
            if str(path).endswith("d.json"):
                time.sleep(0.05)  # time for the helper to insert the row
                raise PermissionError(13, "Permission denied")
            real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "unlink", failing_unlink)
        with pytest.raises(StorageError):
            store.delete("d", expected=saved.version)
        monkeypatch.setattr(os, "unlink", real_unlink)
        assert [a for a, _, _ in _rows(ws.sqlite_path, "d")] == ["skill.put"]
        store.delete("d", expected=saved.version)
        assert [a for a, _, _ in _rows(ws.sqlite_path, "d")] == ["skill.put", "skill.delete"]


def test_audit_failure_is_reported_not_raised(tmp_path: Path) -> None:
    """A locked database (another writer holding it past the busy timeout) fails the
    audit row, not the save; an ``audit.failed`` event says so."""
    root = tmp_path / "w"
    root.mkdir()
    (root / "storeroom.yaml").write_text("workspace:\n  id: locked\nlogs:\n  busy_timeout: 0.05\n")
    with make_workspace(root) as ws:
        events: list[str] = []
        ws.events.subscribe(lambda e: events.append(e.kind))
        store = ws.skills
        store.put(sample("x"))
        blocker = sqlite3.connect(ws.sqlite_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            again = store.put(sample("x", code="# 2"), expected=1)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert again.version == 2 and store.get("x").code == "# 2"
        assert "audit.failed" in events
        third = store.put(again.evolve(code="# 3"), expected=2)  # and the next one is audited again
        assert _rows(ws.sqlite_path, "x")[-1][2] == content_hash(third.to_bytes())


def test_save_checks_the_file_not_memory(tmp_path: Path) -> None:
    """A save starts from what memory holds for the file and confirms it from the file
    before the rename: a file rewritten behind our back (same size, same mtime, so only
    its bytes tell) makes the save a conflict, and nothing is written or audited."""
    with make_workspace(tmp_path / "w") as ws:
        store = ws.skills
        one = store.put(sample("p", code="# aaaa"))
        path = tmp_path / "w" / "skills" / "p.json"
        theirs = one.evolve(code="# bbbb", version=7)
        before = path.stat()
        path.write_bytes(theirs.to_bytes())
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size
        with pytest.raises(SkillConflict) as err:
            store.put(one.evolve(name="mine"), expected=one.version)
        assert err.value.theirs.version == 7 and err.value.theirs.code == "# bbbb"
        assert path.read_bytes() == theirs.to_bytes()
        assert not list(path.parent.glob(".*.tmp-*"))
        assert [a for _, _, a in _rows(ws.sqlite_path, "p")] == [content_hash(one.to_bytes())]
        # and from the right version it goes through, audited against the file's bytes
        mine = store.put(one.evolve(name="mine"), expected=7)
        assert mine.version == 8
        assert _rows(ws.sqlite_path, "p")[-1][1:] == (content_hash(theirs.to_bytes()), content_hash(mine.to_bytes()))


def test_saves_work_without_the_helper(tmp_path: Path) -> None:
    """Work handed to the save helper is taken back by the saving thread when the helper
    has not started it: with the helper gone, saves are still checked, audited and
    close what they open."""
    with make_workspace(tmp_path / "w") as ws:
        store = ws.skills
        one = store.put(sample("h"))
        store._helper.close()
        two = store.put(one.evolve(code="# 2"), expected=1)
        path = tmp_path / "w" / "skills" / "h.json"
        path.write_bytes(one.evolve(code="# x", version=5).to_bytes())
        with pytest.raises(SkillConflict):
            store.put(two.evolve(code="# 3"), expected=2)
        assert [a for _, _, a in _rows(ws.sqlite_path, "h")] == [content_hash(one.to_bytes()),
                                                                  content_hash(two.to_bytes())]
        if Path("/proc/self/fd").is_dir():  # the saving thread closed the old files itself
            assert _open_skill_files(path.parent) == []


def _open_skill_files(folder: Path) -> list[str]:
    """What this process holds open inside ``folder`` (not the folder itself): other
    threads of the test process may open unrelated files at any moment."""
    inside = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith(f"{folder}/"):
            inside.append(target)
    return inside


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_old_files_are_closed_after_every_save(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saves hold the old version open across the rename (its inode is freed by the
    helper's close, which may end just after put returns); on every path it is closed
    once the store's background work is flushed, and never leaks."""
    with make_workspace(tmp_path / "w") as ws:
        store = ws.skills
        cur = store.put(sample("fd"))
        cur = store.put(cur.evolve(code="# warm"), expected=cur.version)  # helper and connection up
        folder = tmp_path / "w" / "skills"
        assert store.flush()
        before = _open_skill_files(folder)
        assert before == []  # nothing of the folder stays open between saves
        for i in range(30):
            cur = store.put(cur.evolve(code=f"# {i}"), expected=cur.version)
            assert store.flush() and _open_skill_files(folder) == before
        path = tmp_path / "w" / "skills" / "fd.json"
        path.write_bytes(cur.evolve(code="# theirs", version=99).to_bytes())  # memory is stale now
        with pytest.raises(SkillConflict):
            store.put(cur.evolve(code="# mine"), expected=cur.version)
        assert store.flush() and _open_skill_files(folder) == before
        theirs = store.get("fd")
        real_replace = os.replace

        def failing_replace(src: str, dst: str) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", failing_replace)
        with pytest.raises(StorageError):
            store.put(theirs.evolve(code="# lost"), expected=theirs.version)
        monkeypatch.setattr(os, "replace", real_replace)
        assert store.flush() and _open_skill_files(folder) == before
        assert store.get("fd").code == "# theirs"
        real_fsync = os.fsync

        def failing_fsync(fd: int) -> None:  # at once: the helper may not have read yet
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fsync", failing_fsync)
        for _ in range(5):
            with pytest.raises(StorageError):
                store.put(theirs.evolve(code="# lost"), expected=theirs.version)
        monkeypatch.setattr(os, "fsync", real_fsync)
        store.put(theirs.evolve(code="# kept"), expected=theirs.version)  # the helper is idle again
        assert store.flush() and _open_skill_files(folder) == before


def test_row_is_committed_during_the_folder_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the file is renamed the helper commits its row while the folder is fsynced;
    if that fsync fails, the save says the file is in place but unsynced, and the newest
    row still names the file's bytes (the audit log follows what is on disk)."""
    with make_workspace(tmp_path / "w") as ws:
        db = ws.sqlite_path
        store = ws.skills
        first = store.put(sample("s"))
        second = first.evolve(code="# two")
        real_fsync = os.fsync
        seen: list[list[str | None]] = []

        def folder_fsync(fd: int) -> None:
            if fd == store._dir_fd:  # the folder: wait (bounded) for the helper's commit
                deadline = time.monotonic() + 5
                while len(_rows(db, "s")) < 2 and time.monotonic() < deadline:
                    time.sleep(0.005)
                seen.append([a for _, _, a in _rows(db, "s")])
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", folder_fsync)
        saved = store.put(second, expected=first.version)
        assert seen == [[content_hash(first.to_bytes()), content_hash(saved.to_bytes())]]

        def failing_folder_fsync(fd: int) -> None:
            if fd == store._dir_fd:
                raise OSError(5, "Input/output error")
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", failing_folder_fsync)
        with pytest.raises(StorageError) as err:
            store.put(saved.evolve(code="# three"), expected=saved.version)
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert "was saved, but the folder could not be synced" in str(err.value)
        on_disk = (tmp_path / "w" / "skills" / "s.json").read_bytes()
        assert b"# three" in on_disk
        assert _rows(db, "s")[-1][1:] == (content_hash(saved.to_bytes()), content_hash(on_disk))
        assert store.get("s").code == "# three"  # memory does not serve the old version
