"""SQLite as the target (the reverse direction): same checkpoints, same quarantine."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import Conflict
from ..logs.schema import TABLES, create_indexes_sql, create_table_sql
from . import control as ctl
from .control import Checkpoint, Quarantined, TargetState
from .sources import row_id
from .tables import Table
from .target_pg import OURS, Item, _now, describe_state


class SqliteTarget:
    """Writes batches into a SQLite file with executemany, each batch with its checkpoint."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        from ..db.sqlite import connect

        self.path = path
        self.conn = connect(path)

    def _tables(self) -> set[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {r[0] for r in rows} - {"sqlite_sequence"}

    def count(self, table: Table) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]  # noqa: S608

    def state(self) -> TargetState:
        names = self._tables()
        state = TargetState("empty", "", foreign_tables=sorted(names - OURS))
        for table in TABLES:
            if table.name in names:
                state.row_counts[table.name] = self.count(table)
        if ctl.CHECKPOINTS in names:
            for row in self.conn.execute(ctl.SELECT_CHECKPOINTS).fetchall():
                cp = ctl.checkpoint_from_row(row)
                state.checkpoints[cp.table] = cp
                state.source = cp.source
        return describe_state(state)

    def quarantined(self) -> list[Quarantined]:
        if ctl.QUARANTINE not in self._tables():
            return []
        return [ctl.quarantined_from_row(r) for r in self.conn.execute(ctl.SELECT_QUARANTINE)]

    def prepare(self, tables: tuple[Table, ...], source: str, resume: bool) -> dict[str, Checkpoint]:
        state = self.state()
        if state.checkpoints:
            if not resume:
                raise Conflict(f"the target {state.detail}",
                               hint="Continue it with --resume, or choose a new file.")
            if state.source != source:
                raise Conflict(f"the target's migration came from {state.source}, not {source}",
                               hint="Resume from the same source, or choose a new file.")
        elif sum(state.row_counts.values()):
            raise Conflict(f"the target already holds storeroom data ({state.detail})",
                           hint="Choose a new file; a migration never merges into data.")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in ctl.control_ddl("sqlite"):
                self.conn.execute(statement)
            for table in tables:
                self.conn.execute(create_table_sql(table, "sqlite"))
                if table.name not in state.checkpoints:
                    cp = Checkpoint(table.name, source)
                    self.conn.execute(ctl.UPSERT_CHECKPOINT, cp.as_params(_now()))
                    state.checkpoints[table.name] = cp
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return state.checkpoints

    def _insert_sql(self, table: Table) -> str:
        marks = ", ".join("?" * len(table.columns))
        return f"INSERT INTO {table.name} ({', '.join(table.column_names)}) VALUES ({marks})"  # noqa: S608

    def stage(self, table: Table, items: list[Item],
              data: list[bytes] | None = None) -> list[Quarantined]:
        """Open a batch's transaction and insert ``items``; :meth:`commit` ends it.

        Returns the rows SQLite refuses (left out, to be quarantined). ``data`` is
        PostgreSQL's only.
        """
        sql = self._insert_sql(table)
        refused: list[Quarantined] = []
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("SAVEPOINT batch")
            self.conn.executemany(sql, [i[2] for i in items])
            self.conn.execute("RELEASE batch")
        except sqlite3.IntegrityError:
            self.conn.execute("ROLLBACK TO batch")
            self.conn.execute("RELEASE batch")
            for key, raw, values in items:
                rid = row_id(table, raw)
                try:
                    self.conn.execute(sql, values)
                except sqlite3.IntegrityError as exc:
                    refused.append(Quarantined(table.name, key, rid, "(row)", "rejected",
                                               f"rejected by SQLite: {exc}"))
        except BaseException:
            self.rollback()
            raise
        return refused

    def commit(self, bad: list[Quarantined], cp: Checkpoint) -> None:
        """Commit the staged batch with its quarantined rows and checkpoint ``cp``."""
        try:
            if bad:
                self.conn.executemany(ctl.INSERT_QUARANTINE, [q.as_params() for q in bad])
            self.conn.execute(ctl.UPSERT_CHECKPOINT, cp.as_params(_now()))
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        """Discard a staged batch, if any."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def finish_table(self, table: Table, cp: Checkpoint) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in create_indexes_sql(table):
                self.conn.execute(statement)
            cp.done = True
            self.conn.execute(ctl.UPSERT_CHECKPOINT, cp.as_params(_now()))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def finish(self) -> None:
        from ..logs.schema import ensure_sqlite_schema

        ensure_sqlite_schema(self.conn)

    def close(self) -> None:
        self.conn.close()

