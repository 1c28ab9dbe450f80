"""The store's audit rows, written while the skill file is being fsynced.

A save's row is inserted on a helper thread while the caller waits on the file's fsync
(which releases the GIL), inside a transaction. The helper commits it once the caller
says the change is in place (the rename or unlink done), while the caller waits on the
folder's fsync; a write that failed before that rolls it back. So a committed row
always stands for the file on disk, and put() returns only after the COMMIT: nothing
sits in a queue that a kill -9 could lose. The commit is a WAL append without fsync
(``synchronous=NORMAL``): like the rename before the folder fsync, it survives a killed
process, not a power cut.

One transaction at a time runs on the connection: a save that finds it busy (another
thread saving another skill) writes its row after its file instead, as before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from ..audit import INSERT_SQL, AuditLog, entry_values
from ..errors import BackendUnavailable
from .helper import Job, SaveHelper

log = logging.getLogger(__name__)


class PendingAudit:
    """One save's audit row, started before the file write: :meth:`start` it before the
    fsync, call :meth:`applied` once the file is replaced (or removed), then :meth:`finish`."""

    __slots__ = ("_applied", "_decided", "_error", "_job", "_overlapped", "_values", "_writer", "target")

    def __init__(self, writer: AuditWriter, target: str, values: tuple[Any, ...], overlapped: bool) -> None:
        self._writer = writer
        self.target = target
        self._values = values  # entry_values() arguments, stamped by whoever inserts
        self._overlapped = overlapped  # True: this save holds the writer's transaction lock
        self._error: BaseException | None = None
        self._applied = False
        # Released by the saving thread once it knows whether the change is in place:
        # the helper, its row inserted, waits on it to commit or roll back.
        self._decided = threading.Lock()
        self._decided.acquire()
        # The helper inserts the row, or the caller does if the helper did not get to it
        # before the file was durable (a busy machine).
        self._job = Job(self._insert)

    def start(self) -> None:
        """Hand the insert to the helper; called just before the fsync, so the helper
        runs while this thread waits without the GIL."""
        if self._overlapped:
            self._writer._helper.submit(self._job.run)

    def applied(self) -> None:
        """The change is in place (renamed or unlinked): the helper may commit the row
        now, during the folder fsync. Call once, from the saving thread."""
        self._applied = True
        self._decided.release()

    @property
    def is_applied(self) -> bool:
        """True once :meth:`applied` was called."""
        return self._applied

    def finish(self) -> None:
        """The save is over: the row is committed if :meth:`applied` was called, else
        rolled back. Never raises: a failed audit is reported through the writer's
        ``on_failure``."""
        w = self._writer
        applied = self._applied
        if not self._overlapped:
            if applied:
                w._append_now(self)
            return
        try:
            if not applied:
                self._decided.release()  # the write failed: the helper rolls back
            if self._job.take_back():  # the helper never started it
                if applied:
                    w._insert_and_commit(self._values)
                return
            self._job.wait()  # the helper's commit is over (almost always already)
            if self._error is not None and applied:
                w._failed(self.target, self._error)
        except Exception as exc:  # noqa: BLE001 - the save itself stands; report, don't undo
            if applied:
                w._failed(self.target, exc)
        finally:
            w._txn.release()

    def _insert(self) -> None:
        """On the helper thread: insert in a transaction, then commit it or roll it back
        as the saving thread decides."""
        conn = self._writer._conn
        assert conn is not None  # opened by begin(), closed only after finish()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(INSERT_SQL, entry_values(*self._values))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which reports it
            self._error = exc
            return
        self._decided.acquire()
        try:
            self._writer._end(self._applied)
        except Exception as exc:  # noqa: BLE001 - as above
            self._error = exc


class AuditWriter:
    """Audit rows of one skill store, on the store's own SQLite connection (opened on the
    first save, so a read-only workspace still reads). Thread-safe."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], actor: str,
                 on_failure: Callable[[str], None], helper: SaveHelper) -> None:
        self._connect = connect
        self._helper = helper
        self._actor = actor
        self._on_failure = on_failure
        self._log: AuditLog | None = None
        self._conn: sqlite3.Connection | None = None
        self._open_lock = threading.Lock()
        self._txn = threading.Lock()  # held by the save whose transaction is open
        self._closed = False

    def begin(self, action: str, target: str, before: str | None, after: str | None,
              detail: dict[str, Any]) -> PendingAudit:
        """The row for a save about to be written (call under the skill's write lock);
        then :meth:`PendingAudit.start` it before the fsync and ``finish`` it after."""
        values = (action, target, before, after, detail, self._actor)
        if self._closed or not self._txn.acquire(blocking=False):
            return PendingAudit(self, target, values, overlapped=False)
        try:
            self._ensure_open()
        except Exception:  # noqa: BLE001 - reported by finish() if the save goes through
            self._txn.release()
            return PendingAudit(self, target, values, overlapped=False)
        return PendingAudit(self, target, values, overlapped=True)

    def _ensure_open(self) -> sqlite3.Connection:
        if self._conn is None:
            with self._open_lock:
                if self._closed:
                    raise BackendUnavailable("audit log", "the skill store was closed")
                if self._conn is None:
                    conn = self._connect()
                    try:
                        self._log = AuditLog(conn)  # creates the table if needed
                    except BaseException:
                        conn.close()
                        raise
                    self._conn = conn
        return self._conn

    # -- holding _txn (the helper, for the save that holds it) ----------------------------
    def _end(self, commit: bool) -> None:
        conn = self._conn
        assert conn is not None
        if commit:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        else:
            conn.execute("ROLLBACK")

    def _insert_and_commit(self, values: tuple[Any, ...]) -> None:
        # autocommit connection: one INSERT is its own transaction
        self._ensure_open().execute(INSERT_SQL, entry_values(*values))

    def _append_now(self, pending: PendingAudit) -> None:
        """The sequential path: the row after the file, waiting for any open transaction."""
        try:
            with self._txn:
                if self._closed:
                    raise BackendUnavailable("audit log", "the skill store was closed")
                self._insert_and_commit(pending._values)
        except Exception as exc:  # noqa: BLE001 - the save itself succeeded; say so
            self._failed(pending.target, exc)

    def _failed(self, target: str, exc: BaseException) -> None:
        log.error("writing the audit entry for %s failed: %s", target, exc, exc_info=exc)
        self._on_failure(target)

    def close(self) -> None:
        """Wait for an open transaction to end, then close the connection."""
        with self._txn:
            with self._open_lock:
                self._closed = True
            if self._log is not None:
                self._log.close()
                self._log = None
                self._conn = None
