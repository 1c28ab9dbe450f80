"""A background WAL checkpointer for one SQLite database.

In WAL mode SQLite copies the log back into the database ("checkpoint") inside the
COMMIT that crosses ``wal_autocheckpoint`` pages, so every few big batches one of them
pays for copying and fsyncing all the others. Here a thread with its own connection
runs a PASSIVE checkpoint after commits instead: it blocks neither writers nor readers,
and sqlite3 releases the GIL while SQLite works, so it runs beside the writer. The
writer keeps a high ``wal_autocheckpoint`` only as a safety valve (see callers).

A PASSIVE checkpoint never lets the log start over while the writer keeps appending,
so the WAL file would grow without end; once it holds more than ``restart_frames``,
a RESTART checkpoint follows the PASSIVE one. It waits for the writer's current
transaction and holds the next one back only while it copies what little the PASSIVE
one left, after which the next transaction writes the log from its start again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from .sqlite import connect

log = logging.getLogger(__name__)


class Checkpointer:
    """``poke()`` after a commit; checkpoints run at most every ``interval`` seconds."""

    def __init__(self, path: Path, *, busy_timeout: float = 5.0, interval: float = 0.2,
                 restart_frames: int = 8192) -> None:
        self.path = path
        self.restart_frames = restart_frames
        self.busy_timeout = busy_timeout
        self.interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        self.restarts = 0

    def poke(self) -> None:
        """Ask for a checkpoint soon (starts the thread on first use)."""
        with self._lock:
            if self._stopping.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        try:
            conn = connect(self.path, busy_timeout=self.busy_timeout)
        except sqlite3.Error:
            log.exception("checkpointer: cannot open %s; commits checkpoint themselves", self.path)
            return
        try:
            while not self._stopping.is_set():
                self._wake.wait()
                self._wake.clear()
                if self._stopping.is_set():
                    break
                try:
                    _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames > self.restart_frames:
                        conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                        self.restarts += 1
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # e.g. the file went away; the valve still works
                    log.warning("checkpoint of %s failed: %s", self.path.name, exc)
                self._stopping.wait(self.interval)  # batch the pokes of many small commits
        finally:
            conn.close()

    def close(self) -> None:
        """Stop the thread (a checkpoint under way finishes first)."""
        with self._lock:
            self._stopping.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()
