"""The audit log: who changed what, when, with before/after content hashes.

Lives in the workspace's SQLite database (table ``audit``), next to logs and metrics,
so a migration moves it with them.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .db.sqlite import ensure_schema
from .errors import BackendUnavailable

SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        before_hash TEXT,
        after_hash TEXT,
        detail TEXT
    );
    CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
    CREATE INDEX IF NOT EXISTS audit_target ON audit (target, at)
    """,
]
INSERT_SQL = ("INSERT INTO audit (at, actor, action, target, before_hash, after_hash, detail)"
              " VALUES (?, ?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True)
class AuditEntry:
    """One audited change. ``target`` is ``<kind>:<id>``, e.g. ``skill:web-fetch``."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before_hash: str | None
    after_hash: str | None
    detail: dict[str, Any] | None


def entry_values(action: str, target: str, before_hash: str | None, after_hash: str | None,
                 detail: dict[str, Any] | None, actor: str | None) -> tuple:
    """The parameters of :data:`INSERT_SQL` for one entry, stamped with the time now."""
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    return (at, actor or current_actor(), action, target, before_hash, after_hash,
            json.dumps(detail, sort_keys=True) if detail is not None else None)


def current_actor() -> str:
    """The OS user running storeroom (the "who" of an audit entry)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


class AuditLog:
    """Append and query audit entries; safe to share between threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._closed = False
        ensure_schema(conn, "audit", SCHEMA)

    def _open_conn(self) -> sqlite3.Connection:
        # Callers hold self._lock: a worker thread still querying when the workspace
        # closes gets a clear error instead of using a closed connection (a segfault).
        if self._closed:
            raise BackendUnavailable("audit log", "the workspace was closed",
                                     hint="Open the workspace again.")
        return self._conn

    def close(self) -> None:
        """Close the connection once no thread is using it; safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def append(self, action: str, target: str, *, before_hash: str | None = None,
               after_hash: str | None = None, detail: dict[str, Any] | None = None,
               actor: str | None = None) -> None:
        """Record one change; ``detail`` must be JSON-serialisable."""
        values = entry_values(action, target, before_hash, after_hash, detail, actor)
        with self._lock:
            self._open_conn().execute(INSERT_SQL, values)

    def query(self, *, target: str | None = None, target_prefix: str | None = None,
              limit: int = 100) -> list[AuditEntry]:
        """Newest first; filter by exact target or by prefix (``skill:``)."""
        sql = "SELECT id, at, actor, action, target, before_hash, after_hash, detail FROM audit"
        args: list[Any] = []
        if target is not None:
            sql += " WHERE target = ?"
            args.append(target)
        elif target_prefix is not None:
            sql += " WHERE target >= ? AND target < ?"
            args += [target_prefix, target_prefix + "\U0010ffff"]
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(int(limit))
        with self._lock:
            rows = self._open_conn().execute(sql, args).fetchall()
        return [
            AuditEntry(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6],
                       json.loads(r[7]) if r[7] else None)
            for r in rows
        ]
