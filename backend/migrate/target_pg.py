"""PostgreSQL as the target: typed schema, binary COPY batches committed with checkpoints."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ..errors import Conflict
from ..logs.schema import TABLES
from . import wire
from .control import (
    CHECKPOINTS,
    CONTROL_TABLES,
    INSERT_QUARANTINE,
    SELECT_CHECKPOINTS,
    SELECT_QUARANTINE,
    UPSERT_CHECKPOINT,
    Checkpoint,
    Quarantined,
    TargetState,
    checkpoint_from_row,
    control_ddl,
    pg_sql,
    quarantined_from_row,
)
from .sources import row_id
from .tables import Table, copy_types, pg_finish_ddl, pg_table_ddl

OURS = {t.name for t in TABLES} | {"schema_versions", *CONTROL_TABLES}
INDEX_BUILD_MEMORY = "512MB"
Item = tuple[Any, tuple[Any, ...], list[Any]]  # (source key, source row, converted values)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _register_raw_dumpers(conn: Any) -> None:
    """Binary COPY dumpers taking the converters' checked bytes as they are.

    ``copy.set_types`` picks dumpers by type oid, so these serve the COPY only; text,
    UUIDs and JSON are never decoded and re-encoded on the way.
    """
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    types = conn.adapters.types

    class RawText(Dumper):
        format = Format.BINARY
        oid = types["text"].oid

        def dump(self, obj: Any) -> bytes:
            return obj if isinstance(obj, bytes) else str(obj).encode()

    class RawUuid(Dumper):
        format = Format.BINARY
        oid = types["uuid"].oid

        def dump(self, obj: Any) -> bytes:
            return obj if isinstance(obj, bytes) else obj.bytes

    class RawJsonb(Dumper):
        format = Format.BINARY
        oid = types["jsonb"].oid

        def dump(self, obj: Any) -> bytes:
            return b"\x01" + obj  # jsonb's binary format: version 1, then the text

    for dumper in (RawText, RawUuid, RawJsonb):
        marker = type(f"_{dumper.__name__}Value", (bytes,), {})
        conn.adapters.register_dumper(marker, dumper)


def describe_state(state: TargetState) -> TargetState:
    rows = sum(state.row_counts.values())
    if state.checkpoints:
        done = all(cp.done for cp in state.checkpoints.values())
        state.kind = "migrated" if done else "partial"
        state.detail = (f"holds a {'finished' if done else 'partial (resumable)'} migration from "
                        f"{state.source}")
    elif rows:
        state.kind, state.detail = "storeroom-data", f"storeroom data present ({rows:,} rows)"
    elif state.row_counts:
        state.kind, state.detail = "storeroom-empty", "storeroom schema present, no rows"
    elif state.foreign_tables:
        state.kind = "foreign"
        state.detail = f"foreign data: {len(state.foreign_tables)} other table(s)"
    else:
        state.kind, state.detail = "empty", "empty"
    if state.foreign_tables and state.kind != "foreign":
        state.detail += f"; also {len(state.foreign_tables)} foreign table(s), left alone"
    return state


class PgTarget:
    """Writes batches to PostgreSQL; each batch, its quarantine rows and checkpoint in one commit."""

    kind = "postgres"

    def __init__(self, dsn: str, *, timeout: float = 1.0) -> None:
        from ..pg import connect

        self.dsn, self.timeout = dsn, timeout
        self.conn = connect(dsn, timeout=timeout, statement_timeout=None, autocommit=True)
        _register_raw_dumpers(self.conn)
        # Batch commits need not wait for their WAL flush: each batch and its checkpoint
        # row are one transaction and WAL replays in order, so a server crash can only
        # drop whole trailing batches together with their checkpoints, and a resume copies
        # exactly those again. finish_table/finish commit synchronously, which flushes
        # every commit before them, so a finished migration is durable when it says so.
        self.conn.execute("SET synchronous_commit = off")

    # -- inspecting ---------------------------------------------------------------------
    def _tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()
        return {r[0] for r in rows}

    def state(self) -> TargetState:
        names = self._tables()
        state = TargetState("empty", "", foreign_tables=sorted(names - OURS))
        for table in TABLES:
            if table.name in names:
                state.row_counts[table.name] = self.count(table)
        if CHECKPOINTS in names:
            for row in self.conn.execute(pg_sql(SELECT_CHECKPOINTS)).fetchall():
                cp = checkpoint_from_row(row)
                state.checkpoints[cp.table] = cp
                state.source = cp.source
        return describe_state(state)

    def count(self, table: Table) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]  # noqa: S608

    def quarantined(self) -> list[Quarantined]:
        if "storeroom_migration_quarantine" not in self._tables():
            return []
        return [quarantined_from_row(r) for r in self.conn.execute(pg_sql(SELECT_QUARANTINE))]

    # -- preparing ----------------------------------------------------------------------
    def prepare(self, tables: tuple[Table, ...], source: str, resume: bool) -> dict[str, Checkpoint]:
        state = self.state()
        if state.checkpoints:
            if not resume:
                raise Conflict(f"the target {state.detail}",
                               hint="Continue it with --resume (or Resume in the UI), or choose "
                                    "an empty database.")
            if state.source != source:
                raise Conflict(f"the target's migration came from {state.source}, not {source}",
                               hint="Resume from the same source, or choose an empty database.")
        elif sum(state.row_counts.values()):
            raise Conflict(f"the target already holds storeroom data ({state.detail})",
                           hint="Choose an empty database; a migration never merges into data.")
        with self.conn.transaction():
            if not state.checkpoints:
                # Our tables exist but are empty (a store opened them): rebuild them without
                # indexes so the load is fast; they come back after the load.
                for name in state.row_counts:
                    self.conn.execute(f"DROP TABLE IF EXISTS {name}")
            for statement in control_ddl("postgres"):
                self.conn.execute(statement)
            for table in tables:
                self.conn.execute(pg_table_ddl(table))
                if table.name not in state.checkpoints:
                    cp = Checkpoint(table.name, source)
                    self.conn.execute(pg_sql(UPSERT_CHECKPOINT), cp.as_params(_now()))
                    state.checkpoints[table.name] = cp
        return state.checkpoints

    # -- writing ------------------------------------------------------------------------
    def _copy(self, table: Table, rows: list[list[Any]]) -> None:
        with self.conn.cursor() as cur:
            cols = ", ".join(table.column_names)
            with cur.copy(f"COPY {table.name} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(copy_types(table))
                for row in rows:
                    copy.write_row(row)

    def _copy_stream(self, table: Table, pieces: list[bytes]) -> None:
        with self.conn.cursor() as cur:
            cols = ", ".join(table.column_names)
            with cur.copy(f"COPY {table.name} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                for piece in pieces:
                    copy.write(piece)

    def stage(self, table: Table, items: list[Item],
              data: list[bytes] | None = None) -> list[Quarantined]:
        """Open a batch's transaction and send its rows; :meth:`commit` ends it.

        Returns the rows PostgreSQL refuses (left out, to be quarantined). ``data``: the
        batch already encoded as binary COPY rows (``wire``); items then carry converted
        values only for the rows Python converted (None for the rest).
        """
        import psycopg

        self.conn.execute("BEGIN")
        try:
            if data is not None:
                self._copy_stream(table, wire.stream(data))
            elif items:
                self._copy(table, [i[2] for i in items])
            return []
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError):
            self.conn.execute("ROLLBACK")  # find the refused rows one by one, below
        encoder = wire.batch_encoder(table) if data is not None else None
        refused: list[Quarantined] = []
        self.conn.execute("BEGIN")
        for key, raw, values in items:
            rid = row_id(table, raw)
            try:
                with self.conn.transaction():  # a savepoint per row
                    if encoder is not None:
                        self._copy_stream(table, wire.stream([encoder.encode_item(raw, values)]))
                    else:
                        self._copy(table, [values])
            except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
                refused.append(_refusal(table, key, rid, exc))
        return refused

    def commit(self, bad: list[Quarantined], cp: Checkpoint) -> None:
        """Commit the staged batch with its quarantined rows and checkpoint ``cp``."""
        # The checkpoint upsert raises in a failed transaction, so a COMMIT that would
        # silently roll back is never reached.
        self._record(bad, cp)
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        """Discard a staged batch, if any; a broken connection has discarded it already."""
        from psycopg.pq import TransactionStatus

        if self.conn.closed or self.conn.pgconn.transaction_status == TransactionStatus.IDLE:
            return
        try:
            self.conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - the server drops the transaction with the connection
            self.conn.close()

    def lane(self) -> PgTarget:
        """Another connection to the same database, to load batches in parallel."""
        return PgTarget(self.dsn, timeout=self.timeout)

    def _record(self, bad: list[Quarantined], cp: Checkpoint) -> None:
        with self.conn.cursor() as cur:
            if bad:
                cur.executemany(pg_sql(INSERT_QUARANTINE), [q.as_params() for q in bad])
            cur.execute(pg_sql(UPSERT_CHECKPOINT), cp.as_params(_now()))

    def finish_table(self, table: Table, cp: Checkpoint) -> None:
        """Primary key, indexes and sequence after the load; then the table is done."""
        with self.conn.transaction():
            self.conn.execute("SET LOCAL synchronous_commit = on")
            # Sorts for the index builds in memory instead of temporary files (only what
            # the build needs is allocated; the setting ends with the transaction).
            self.conn.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            for statement in pg_finish_ddl(table):
                self.conn.execute(statement)
            cp.done = True
            self._record([], cp)

    def finish(self) -> None:
        """Record the schema version so storeroom's PostgreSQL store opens it as its own."""
        from ..logs.schema import ensure_pg_schema

        self.conn.execute("SET synchronous_commit = on")
        ensure_pg_schema(self.conn)

    def close(self) -> None:
        self.conn.close()


def _refusal(table: Table, key: Any, rid: str, exc: Exception) -> Quarantined:
    diag = getattr(exc, "diag", None)
    column = getattr(diag, "column_name", None) or ""
    context = getattr(diag, "context", None) or ""
    found = re.search(r"column (\w+)", context)
    if not column and found:
        column = found.group(1)
    message = (getattr(diag, "message_primary", None) or str(exc)).strip()
    return Quarantined(table.name, key, rid, column or "(row)", "rejected",
                       f"rejected by PostgreSQL: {message}")
