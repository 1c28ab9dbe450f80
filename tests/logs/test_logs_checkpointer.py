"""The background WAL checkpointer: commits leave the copying to it, it really copies
the log back into the database, and it stops with the workspace."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from logs_support import make_ws, sample_runs

from backend.db.checkpointer import Checkpointer
from backend.db.sqlite import connect


def _rows_in_database_file(path: Path, tmp: Path) -> int:
    """Rows in the database file alone, without its WAL: what has been checkpointed."""
    alone = tmp / "alone.db"
    alone.write_bytes(path.read_bytes())
    conn = sqlite3.connect(alone)
    try:
        return conn.execute("SELECT count(*) FROM t").fetchone()[0]
    except sqlite3.DatabaseError:  # copied while a checkpoint was writing: not yet
        return -1
    finally:
        conn.close()


def test_checkpointer_copies_the_log_back_after_commits(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    writer = connect(path)
    writer.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies
    writer.execute("CREATE TABLE t (x)")
    cp = Checkpointer(path, interval=0.01)
    try:
        for _ in range(5):
            writer.execute("BEGIN")
            writer.executemany("INSERT INTO t VALUES (?)", [(b"x" * 500,)] * 2000)
            writer.execute("COMMIT")
            cp.poke()
        # Everything the writer committed reaches the database file, not only the log.
        deadline = time.monotonic() + 10
        while _rows_in_database_file(path, tmp_path) < 10_000 and time.monotonic() < deadline:
            cp.poke()
            time.sleep(0.02)
        assert cp.checkpoints >= 1
    finally:
        cp.close()
    assert _rows_in_database_file(path, tmp_path) == 10_000
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 10_000
    writer.close()


def test_the_workspace_checkpoints_in_the_background_and_stops_it(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", "sqlite")
    for seed in range(3):
        ws.logs.store_logs(sample_runs(3000, seed=seed))
    engine = ws.logs.engine
    deadline = time.monotonic() + 10
    while engine._checkpointer.checkpoints < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine._checkpointer.checkpoints >= 1
    thread = engine._checkpointer._thread
    ws.close()
    assert thread is not None and not thread.is_alive()  # stopped with the workspace
    conn = sqlite3.connect(engine.path)
    assert conn.execute("SELECT count(*) FROM run_logs").fetchone()[0] == 9000
    conn.close()


def test_poke_after_close_starts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "y.db"
    connect(path).close()
    cp = Checkpointer(path)
    cp.close()
    cp.poke()
    assert cp._thread is None


def test_a_long_log_starts_over_after_the_checkpoint(tmp_path: Path) -> None:
    """A reader's old snapshot lets the log grow (PASSIVE cannot copy past it, as when
    the writer keeps appending); once past ``restart_frames`` the checkpointer makes the
    next write start the log over instead of growing the file further."""
    path = tmp_path / "z.db"
    writer = connect(path)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x)")
    reader = connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # holds its snapshot
    cp = Checkpointer(path, interval=0.0, restart_frames=100)
    try:
        for _ in range(5):  # ~5 x 50 frames, none of which can be copied yet
            writer.execute("BEGIN IMMEDIATE")
            writer.executemany("INSERT INTO t VALUES (?)", [(b"y" * 1000,)] * 200)
            writer.execute("COMMIT")
            cp.poke()
        reader.execute("COMMIT")
        deadline = time.monotonic() + 10
        while cp.restarts < 1 and time.monotonic() < deadline:
            cp.poke()
            time.sleep(0.01)
        assert cp.restarts >= 1
    finally:
        cp.close()
    size = Path(f"{path}-wal").stat().st_size
    writer.execute("INSERT INTO t VALUES (1)")  # written from the log's start
    assert Path(f"{path}-wal").stat().st_size == size  # the file did not grow
    probe = connect(path)
    try:
        _busy, frames, _copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        probe.close()
    assert frames <= 5  # the log holds only the last write
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 1001
    writer.close()
    reader.close()


def test_only_big_batches_leave_their_checkpoint_to_the_thread(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", "sqlite")
    try:
        for run in sample_runs(30, seed=5):
            ws.logs.store_log(run)  # small commits checkpoint as SQLite always does
        engine = ws.logs.engine
        assert engine._checkpointer._thread is None
        ws.logs.store_logs(sample_runs(1000, seed=6))
        deadline = time.monotonic() + 10
        while engine._checkpointer.checkpoints < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine._checkpointer.checkpoints >= 1
        # the writer's own threshold is back for the small commits that follow
        assert engine.db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    finally:
        ws.close()
