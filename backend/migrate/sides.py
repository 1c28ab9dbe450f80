"""One side of a verification: counts, the table hash, sample keys and canonical rows.

:class:`SqliteSide` hashes through an aggregate registered with ``create_aggregate``
(Python computes each row's canonical text); :class:`PgSide` does it all in SQL.
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

from .canon import column_texts_fn, pg_column_text, pg_hash_sql, pg_row_text, row_hash, row_text_fn
from .tables import Table, column_kinds

try:  # the C accelerator (setup.py); without it the aggregate below does the same in Python
    from . import _canon
except ImportError:  # pragma: no cover - built without a C compiler
    _canon = None  # type: ignore[assignment]

_TEXTUAL = {"text", "uuid", "timestamptz", "jsonb"}


class _Aggregate:
    """Exact sum of per-row hashes, returned as text (it may not fit 64 bits)."""

    row_text = staticmethod(lambda row: "")

    def __init__(self) -> None:
        self.total = 0
        self.count = 0

    def step(self, *values: Any) -> None:
        self.total += row_hash(self.row_text(values))
        self.count += 1

    def finalize(self) -> str:
        return f"{self.count}:{self.total}"


class SqliteSide:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                    check_same_thread=False, timeout=5)

    def has_table(self, table: Table) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                 (table.name,)).fetchone() is not None

    def table_hash(self, table: Table, exclude: list[Any] | None = None,
                   key_range: tuple[int, int] | None = None,
                   only: list[Any] | None = None) -> tuple[int, int]:
        """(rows, hash); ``exclude`` / ``only`` hold rowids (quarantined source rows)."""
        if not self.has_table(table):
            return 0, 0
        if only is not None:
            where, args = ["rowid IN (SELECT value FROM json_each(?))"], [json.dumps(only)]
        else:
            where, args = ["rowid NOT IN (SELECT value FROM json_each(?))"], [json.dumps(exclude or [])]
        if key_range is not None:
            where.append("rowid BETWEEN ? AND ?")
            args += list(key_range)
        # Text goes in as bytes: a row with invalid UTF-8 still hashes (it is subtracted).
        cols = ", ".join(f"CAST({c.name} AS BLOB)" if c.type in _TEXTUAL else c.name
                         for c in table.columns)
        if _canon is not None:
            return self._native_hash(table, cols, " AND ".join(where), args)
        name = f"sr_hash_{table.name}"
        agg = type(name, (_Aggregate,), {"row_text": staticmethod(row_text_fn(table))})
        self.conn.create_aggregate(name, len(table.columns), agg)
        sql = f"SELECT {name}({cols}) FROM {table.name} WHERE {' AND '.join(where)}"  # noqa: S608
        count, total = self.conn.execute(sql, args).fetchone()[0].split(":")
        return int(count), int(total)

    def _native_hash(self, table: Table, cols: str, where: str, args: list[Any]) -> tuple[int, int]:
        """The same sum, rows hashed in C in batches; unusual rows by the Python reference."""
        kinds, row_text = column_kinds(table), row_text_fn(table)
        cur = self.conn.execute(f"SELECT {cols} FROM {table.name} WHERE {where}", args)  # noqa: S608
        count = total = 0
        while rows := cur.fetchmany(2000):
            n, part, slow = _canon.hash_rows(rows, kinds)
            count += n + len(slow)
            total += part + sum(row_hash(row_text(rows[i])) for i in slow)
        return count, total

    def rowid_bounds(self, table: Table) -> tuple[int, int]:
        lo, hi = self.conn.execute(f"SELECT min(rowid), max(rowid) FROM {table.name}").fetchone()  # noqa: S608
        return (lo or 0), (hi or 0)

    def sample_keys(self, table: Table, n: int, seed: int = 7) -> list[tuple[Any, ...]]:
        if not self.has_table(table):
            return []
        lo, hi = self.rowid_bounds(table)
        rng = random.Random(seed)
        pk = ", ".join(table.primary_key)
        keys: dict[tuple[Any, ...], None] = {}
        for _ in range(n):
            row = self.conn.execute(f"SELECT {pk} FROM {table.name} WHERE rowid >= ? "  # noqa: S608
                                    "ORDER BY rowid LIMIT 1", (rng.randint(lo, hi),)).fetchone()
            if row is not None:
                keys[tuple(row)] = None
        return list(keys)

    def fetch(self, table: Table, key: tuple[Any, ...]) -> list[str | None] | None:
        where = " AND ".join(f"{k} = ?" for k in table.primary_key)
        row = self.conn.execute(f"SELECT {', '.join(table.column_names)} FROM {table.name} "  # noqa: S608
                                f"WHERE {where}", key).fetchone()
        return None if row is None else column_texts_fn(table)(row)

    def close(self) -> None:
        self.conn.close()


class PgSide:
    kind = "postgres"

    def __init__(self, dsn: str, timeout: float = 1.0) -> None:
        from ..pg import connect

        self.conn = connect(dsn, timeout=timeout, statement_timeout=None, autocommit=True)

    def has_table(self, table: Table) -> bool:
        return self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table.name,)).fetchone()[0]

    def table_hash(self, table: Table, exclude: list[Any] | None = None) -> tuple[int, int]:
        """(rows, hash); ``exclude`` holds primary keys (quarantined source rows)."""
        if not self.has_table(table):
            return 0, 0
        count, total = self.conn.execute(pg_hash_sql(table)).fetchone()
        where = " AND ".join(f"{k} = %s" for k in table.primary_key)
        for key in exclude or []:
            row = self.conn.execute(pg_hash_sql(table, f"WHERE {where}"), key).fetchone()
            count, total = count - row[0], total - row[1]
        return int(count), int(total)

    def sample_keys(self, table: Table, n: int, seed: int = 7) -> list[tuple[Any, ...]]:
        if not self.has_table(table):
            return []
        pk = ", ".join(pg_column_text(k, table.column(k).type) for k in table.primary_key)
        self.conn.execute("SELECT setseed(%s)", (seed / 100,))
        rows = self.conn.execute(f"SELECT {pk} FROM {table.name} ORDER BY random() LIMIT %s",  # noqa: S608
                                 (n,)).fetchall()
        return [tuple(r) for r in rows]

    def fetch(self, table: Table, key: tuple[Any, ...]) -> list[str | None] | None:
        cols = ", ".join(pg_column_text(c.name, c.type) for c in table.columns)
        where = " AND ".join(f"{k} = %s" for k in table.primary_key)
        row = self.conn.execute(f"SELECT {cols} FROM {table.name} WHERE {where}", key).fetchone()  # noqa: S608
        return None if row is None else list(row)

    def row_texts(self, table: Table) -> str:  # pragma: no cover - debugging aid
        return pg_row_text(table)

    def close(self) -> None:
        self.conn.close()
