"""SQLite engine: the workspace database through sqlite-utils, WAL, a busy timeout.

One connection writes (under a lock, ``BEGIN IMMEDIATE``), another reads, so the UI's
reads never wait behind a long write: WAL lets readers see the last commit.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ..db.checkpointer import Checkpointer
from ..db.sqlite import connect
from ..errors import BackendUnavailable, Duplicate, StorageError
from . import sql
from .engine import Engine, chunks
from .schema import ensure_sqlite_schema
from .validate import Row

_CACHE_KIB = 32 * 1024  # page cache per connection: keeps the hot index pages of big ingests
# A big batch's commit leaves the checkpoint to a background thread
# (backend.db.checkpointer); small commits keep SQLite's own (every 1000 pages, cheap).
_CHECKPOINT_PAGES = 1000
_BULK_CHANGES = 500


class SqliteEngine(Engine):
    name = "sqlite"
    dialect = sql.SQLITE

    def __init__(self, path: Path, busy_timeout: float = 5.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._wlock = threading.Lock()
        self._rlock = threading.Lock()
        self._insert = sql.insert_runs_sql(self.dialect)
        self._checkpointer = Checkpointer(path, busy_timeout=busy_timeout)
        writer = connect(path, busy_timeout=busy_timeout)
        try:
            writer.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            writer.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
            ensure_sqlite_schema(writer)
        except sqlite3.OperationalError as exc:
            writer.close()
            raise self._unavailable(exc) from None
        self.db = sqlite_utils.Database(writer)
        self._reader = connect(path, busy_timeout=busy_timeout)
        self._reader.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")

    def _unavailable(self, exc: sqlite3.Error) -> StorageError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return BackendUnavailable(
                "SQLite", f"{self.path.name} is locked by another process "
                f"(waited {self.busy_timeout:g} s)",
                hint="Close the other program writing the database, then retry; or raise "
                     "logs.busy_timeout in storeroom.yaml.")
        return StorageError(f"SQLite error on {self.path.name}: {text}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self.db.conn
        with self._wlock:
            changes = conn.total_changes
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._unavailable(exc) from None
            try:
                yield conn
            except sqlite3.IntegrityError as exc:
                conn.execute("ROLLBACK")
                raise self._integrity(exc) from None
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                raise self._unavailable(exc) from None
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            bulk = conn.total_changes - changes >= _BULK_CHANGES
            if bulk:  # this commit leaves the checkpoint to the background thread
                conn.execute("PRAGMA wal_autocheckpoint=0")
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                raise self._unavailable(exc) from None
            finally:
                if bulk:
                    conn.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
        if bulk:
            self._checkpointer.poke()

    def _integrity(self, exc: sqlite3.IntegrityError) -> StorageError:
        if "run_logs.run_id" in str(exc):
            return Duplicate("run", getattr(self, "_last_dup", "?"),
                             hint="Runs are append-only: each run_id is stored once; nothing "
                                  "of this batch was written.")
        return StorageError(f"SQLite refused the write: {exc}")

    def _read(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._rlock:
            try:
                return self._reader.execute(query, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise self._unavailable(exc) from None

    def _insert_rows(self, cur: sqlite3.Connection, rows: Sequence[Row]) -> None:
        try:
            cur.executemany(self._insert, [r[:4] + r[6:] for r in rows])
        except sqlite3.IntegrityError:
            # Name the offending run for the error message (the batch rolls back whole).
            # The reader sees only committed rows, not this batch's own earlier inserts.
            with self._rlock:
                found = self._existing_ids(self._reader, [r.run_id for r in rows])
            self._last_dup = min(found) if found else "?"
            raise

    def _existing_ids(self, cur: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(ids, 500):
            found.update(r[0] for r in cur.execute(
                f"SELECT run_id FROM run_logs WHERE run_id IN ({self.dialect.phs(len(part))})",  # noqa: S608
                list(part)))
        return found

    def _delete_ids(self, cur: sqlite3.Connection, ids: Sequence[str]) -> int:
        deleted = 0
        for part in chunks(ids, 500):
            deleted += cur.execute(
                f"DELETE FROM run_logs WHERE run_id IN ({self.dialect.phs(len(part))})",  # noqa: S608
                list(part)).rowcount
        return deleted

    def archive_batch(self, where: str, params: list[Any], after: tuple[str, str] | None,
                      limit: int, archive: Callable[[list[str]], None]) -> tuple[int, tuple[str, str] | None]:
        """Select, archive and delete in one write transaction, deleting by rowid.

        Holding the write lock from the SELECT to the DELETE means no row can slip in
        between (nothing is deleted that was not archived), and rowids stay valid.
        """
        query, args = self._batch_sql(where, params, after, limit, extra=", rowid")
        with self._tx() as cur:
            rows = cur.execute(query, args).fetchall()
            if not rows:
                return 0, None
            ids, lines, last = self._archive_lines(rows)
            archive(lines)
            deleted = cur.execute("DELETE FROM run_logs WHERE rowid IN (SELECT value FROM json_each(?))",
                                  (json.dumps([r[-1] for r in rows]),)).rowcount
        return deleted, last

    def _ts_out(self, value: Any) -> datetime:
        return datetime.fromisoformat(value) if value is not None else None  # type: ignore[return-value]

    def _json_out(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def analyze(self) -> None:
        """Refresh the planner's statistics (after big loads)."""
        with self._wlock:
            self.db.conn.execute("ANALYZE")

    def close(self) -> None:
        self._checkpointer.close()
        # Under both locks: closing a connection another thread is using crashes sqlite3.
        with self._wlock, self._rlock:  # the order _insert_rows takes them in
            for conn in (self._reader, self.db.conn):
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
