"""Reading tables in keyset batches: from SQLite (by rowid) or PostgreSQL (by primary key).

Both yield rows in SQLite's storage form (text timestamps, JSON text, UUID text), so the
same converters and the same canonical hash apply whichever way a migration goes.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import NotFound
from .canon import PG_TS_FORMAT, compact_json
from .tables import Table
from .values import sqlite_select_list

Batch = tuple[list[Any], list[tuple[Any, ...]]]  # (keys, rows)


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def row_id(table: Table, row: tuple[Any, ...]) -> str:
    """The primary key of a row, for people: ``run_id=…`` or ``a=…, b=…``."""
    names = table.column_names
    parts = []
    for key in table.primary_key:
        value = row[names.index(key)]
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        parts.append(f"{key}={value}")
    return ", ".join(parts)


class SqliteSource:
    """A SQLite database opened read-only; text arrives as bytes (invalid UTF-8 survives)."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise NotFound("SQLite database", str(path), hint="Check the workspace's logs.sqlite_path.")
        self.path = path
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                    check_same_thread=False, timeout=5)
        self.conn.text_factory = bytes
        self.identity = f"sqlite:{path}"

    def has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                 (name,)).fetchone() is not None

    def count(self, table: Table) -> int:
        if not self.has_table(table.name):
            return 0
        return self.conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]  # noqa: S608

    def batches(self, table: Table, after: Any, size: int) -> Iterator[Batch]:
        if not self.has_table(table.name):
            return
        sql = (f"SELECT rowid, {sqlite_select_list(table)} FROM {table.name}"  # noqa: S608
               " WHERE rowid > ? ORDER BY rowid LIMIT ?")
        last = after if after is not None else -(2**63)
        while True:
            rows = self.conn.execute(sql, (last, size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [r[0] for r in rows], [r[1:] for r in rows]

    def close(self) -> None:
        self.conn.close()


def pg_select_list(table: Table) -> str:
    """Columns of ``table`` in SQLite storage form, computed by PostgreSQL."""
    out = []
    for col in table.columns:
        if col.type == "timestamptz":
            out.append(f"to_char({col.name} AT TIME ZONE 'UTC', '{PG_TS_FORMAT}')")
        elif col.type in ("uuid", "jsonb"):
            out.append(f"{col.name}::text")
        else:
            out.append(col.name)
    return ", ".join(out)


class PgSource:
    """A PostgreSQL database read by primary-key keyset."""

    kind = "postgres"

    def __init__(self, dsn: str, *, timeout: float = 1.0) -> None:
        from ..pg import connect
        from ..redact import mask_url

        self.conn = connect(dsn, timeout=timeout, statement_timeout=None, autocommit=True)
        self.identity = f"postgres:{mask_url(dsn)}"

    def has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]

    def count(self, table: Table) -> int:
        if not self.has_table(table.name):
            return 0
        return self.conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]  # noqa: S608

    def batches(self, table: Table, after: Any, size: int) -> Iterator[Batch]:
        if not self.has_table(table.name):
            return
        pk = ", ".join(f"{table.name}.{k}" for k in table.primary_key)
        n = len(table.primary_key)
        base = f"SELECT {pk}, {pg_select_list(table)} FROM {table.name}"  # noqa: S608
        json_at = [i for i, c in enumerate(table.columns) if c.type == "jsonb"]
        last = after
        while True:
            if last is None:
                rows = self.conn.execute(f"{base} ORDER BY {pk} LIMIT %s", (size,)).fetchall()
            else:
                marks = ", ".join(["%s"] * n)
                rows = self.conn.execute(f"{base} WHERE ({pk}) > ({marks}) ORDER BY {pk} LIMIT %s",
                                         (*last, size)).fetchall()
            if not rows:
                return
            keys = [[_jsonable(v) for v in r[:n]] for r in rows]
            last = keys[-1]
            yield keys, [self._storage_form(r[n:], json_at) for r in rows]

    @staticmethod
    def _storage_form(values: tuple[Any, ...], json_at: list[int]) -> tuple[Any, ...]:
        if not json_at:
            return tuple(values)
        out = list(values)
        for i in json_at:
            if out[i] is not None:
                out[i] = compact_json(out[i])
        return tuple(out)

    def close(self) -> None:
        self.conn.close()
