"""The workspace's SQLite database: connections and versioned schema upgrades.

Each concern (audit, logs, metrics, migration checkpoints) registers its schema steps
under its own name; ``ensure_schema`` applies the missing ones at open, in order, each
in a transaction together with the new version number.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import BackendUnavailable

SchemaStep = str | Callable[[sqlite3.Connection], None]

_VERSIONS_DDL = """
CREATE TABLE IF NOT EXISTS schema_versions (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    upgraded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
_schema_lock = threading.Lock()


def connect(path: Path, *, busy_timeout: float = 5.0, readonly: bool = False) -> sqlite3.Connection:
    """Open the database in WAL mode with a busy timeout; missing parents are created.

    Connections are in autocommit mode (``isolation_level=None``): callers open
    transactions explicitly with ``BEGIN`` / ``with transaction(conn)``.
    """
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=busy_timeout,
                                   isolation_level=None, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise BackendUnavailable("SQLite", f"cannot open {path}: {exc}",
                                 hint="Check the path and its permissions.") from None
    return conn


class transaction:  # noqa: N801 - reads like a keyword: ``with transaction(conn):``
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> None:
        self.conn = conn
        self.mode = mode

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute(f"BEGIN {self.mode}")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def schema_version(conn: sqlite3.Connection, component: str) -> int:
    conn.execute(_VERSIONS_DDL)
    row = conn.execute(
        "SELECT version FROM schema_versions WHERE component = ?", (component,)
    ).fetchone()
    return row[0] if row else 0


def ensure_schema(conn: sqlite3.Connection, component: str, steps: Sequence[SchemaStep]) -> int:
    """Apply ``steps[current:]`` for ``component``; returns the resulting version.

    Step *i* (0-based) upgrades version *i* to *i + 1*. A step is SQL (may hold
    several statements) or a callable taking the connection.
    """
    with _schema_lock:
        current = schema_version(conn, component)
        if current > len(steps):
            raise BackendUnavailable(
                "SQLite",
                f"{component} schema is version {current}, newer than this storeroom knows "
                f"({len(steps)})",
                hint="Upgrade storeroom before opening this workspace.",
            )
        for number in range(current, len(steps)):
            step = steps[number]
            with transaction(conn):
                if callable(step):
                    step(conn)
                else:
                    for statement in _split_sql(step):
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                    "ON CONFLICT(component) DO UPDATE SET version = excluded.version, "
                    "upgraded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                    (component, number + 1),
                )
        return len(steps)


def _split_sql(script: str) -> list[str]:
    """Split a DDL script on top-level semicolons (our DDL has no string literals with ';')."""
    return [s.strip() for s in script.split(";") if s.strip()]
