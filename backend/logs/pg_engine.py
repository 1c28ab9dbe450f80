"""PostgreSQL engine: psycopg 3 with a pool, bounded-time connects, COPY for batches.

Opening probes the server first (``backend.pg.probe``) so a refused or hung server is
reported within ``postgres.connect_timeout``; pooled connections use the same keepalive
and TCP timeouts as ``backend.pg.connect`` and are checked before each use, so a
restarted server costs one reconnect, not an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import BackendUnavailable, Duplicate, StorageError
from ..pg import probe
from ..redact import mask_url
from . import sql
from .engine import Engine
from .schema import ensure_pg_schema
from .validate import Row

_COPY_FROM = 32  # batches at least this big go through COPY instead of INSERT


class PgEngine(Engine):
    name = "postgres"
    dialect = sql.POSTGRES

    def __init__(self, dsn: str, *, connect_timeout: float = 0.25,
                 statement_timeout: float = 30.0, pool_size: int = 4) -> None:
        self.dsn = dsn
        self.masked = mask_url(dsn)
        probe(dsn, connect_timeout)
        kwargs = {
            "autocommit": True,
            "connect_timeout": max(2, math.ceil(connect_timeout)),
            "options": f"-c statement_timeout={int(statement_timeout * 1000)} -c timezone=UTC",
            "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
            "keepalives_count": 2, "tcp_user_timeout": int(max(connect_timeout, 5) * 1000),
        }
        self._wait = max(2.0, connect_timeout * 8)
        self.pool = ConnectionPool(dsn, min_size=1, max_size=pool_size, kwargs=kwargs,
                                   open=False, timeout=self._wait, name="storeroom-logs",
                                   check=ConnectionPool.check_connection, reconnect_timeout=0)
        try:
            self.pool.open(wait=True, timeout=self._wait)
            with self.pool.connection() as conn:
                ensure_pg_schema(conn)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            self.pool.close(timeout=0.5)
            raise BackendUnavailable("PostgreSQL", f"{self.masked}: {_first_line(exc)}") from None
        except BaseException:
            self.pool.close(timeout=0.5)
            raise
        self._insert = sql.insert_runs_sql(self.dialect)
        self._columns = ", ".join(sql.RUN_COLUMNS)

    def _error(self, exc: BaseException) -> StorageError:
        if isinstance(exc, psycopg.errors.UniqueViolation):
            found = re.search(r"=\(([^)]*)\)", exc.diag.message_detail or "")
            key = found.group(1) if found else "?"
            return Duplicate("run", key, hint="Runs are append-only: each run_id is stored "
                                              "once; nothing of this batch was written.")
        if isinstance(exc, (PoolTimeout, psycopg.OperationalError)):
            return BackendUnavailable("PostgreSQL", f"{self.masked}: {_first_line(exc)}",
                                      hint="Check the server (`storeroom doctor`); nothing of "
                                           "an interrupted write was kept, retry it.")
        return StorageError(f"PostgreSQL refused the request: {_first_line(exc)}")

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[Any]]:
        try:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                yield cur
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(exc) from None

    def _read(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self.pool.connection() as conn:
                return conn.execute(query, params).fetchall()
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(exc) from None

    def _insert_rows(self, cur: psycopg.Cursor[Any], rows: Sequence[Row]) -> None:
        if len(rows) < _COPY_FROM:
            cur.executemany(self._insert, [r[:6] + r[8:] for r in rows])
            return
        with cur.copy(f"COPY run_logs ({self._columns}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r[0], r[1], r[2], r[3], r[4], r[5], r[8], r[9], r[10]))

    def _existing_ids(self, cur: psycopg.Cursor[Any], ids: Sequence[str]) -> set[str]:
        rows = cur.execute("SELECT run_id::text FROM run_logs WHERE run_id = ANY(%s::uuid[])",
                           (list(ids),)).fetchall()
        return {r[0] for r in rows}

    def _delete_ids(self, cur: psycopg.Cursor[Any], ids: Sequence[str]) -> int:
        return cur.execute("DELETE FROM run_logs WHERE run_id = ANY(%s::uuid[])",
                           (list(ids),)).rowcount

    def _ts_out(self, value: Any) -> datetime:
        if value is None:
            return None  # type: ignore[return-value]
        return value.astimezone(UTC)

    def _json_out(self, value: Any) -> Any:
        return value

    def analyze(self) -> None:
        with self.pool.connection() as conn:
            conn.execute("ANALYZE run_logs")

    def close(self) -> None:
        self.pool.close(timeout=1.0)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
