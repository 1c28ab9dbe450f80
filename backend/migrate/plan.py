"""The dry run: counts, the target's reachability and state, the schema to create, a time
estimate, and a scan of source values the target would refuse (counts and examples)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import StorageError
from .control import TargetState
from .endpoints import Endpoint
from .progress import ProgressCallback, Tracker
from .sources import row_id
from .tables import Table, pg_finish_ddl, pg_table_ddl
from .values import CATEGORIES, BadValue, row_converter

EXAMPLES = 3
# Rough speeds measured on 2 cores (bench/migrate.py), copy and verify together.
_ROWS_PER_S_WIDE = 30_000  # run_logs-like rows with ~1.2 KB JSON, verify included (bench/migrate.py)
_ROWS_PER_S_NARROW = 60_000


@dataclass
class Problem:
    """Source values of one category that cannot go as they are."""

    category: str
    label: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class TablePlan:
    table: str
    rows: int
    bad_rows: int = 0


@dataclass
class Plan:
    source: str
    target: str
    reachable: bool
    target_error: str | None
    target_state: TargetState | None
    tables: list[TablePlan]
    problems: list[Problem]
    schema: list[str]
    estimate_s: float
    scanned: bool
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def bad_rows(self) -> int:
        return sum(t.bad_rows for t in self.tables)

    @property
    def warnings(self) -> list[str]:
        out = []
        if not self.reachable:
            out.append(f"target unreachable: {self.target_error}")
        elif self.target_state is not None and self.target_state.kind in ("storeroom-data", "migrated"):
            out.append(f"target {self.target_state.detail}: choose an empty database")
        elif self.target_state is not None and self.target_state.kind == "partial":
            out.append(f"target {self.target_state.detail}: use resume")
        elif self.target_state is not None and self.target_state.foreign_tables:
            out.append(f"target has other tables ({', '.join(self.target_state.foreign_tables[:5])});"
                       " they are left alone")
        for p in self.problems:
            out.append(f"{p.count} value(s) with {p.label}: these rows will be quarantined")
        return out

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {**asdict(self), "total_rows": self.total_rows, "bad_rows": self.bad_rows,
                "warnings": self.warnings}


def _scan_table(source: Any, table: Table, problems: dict[str, Problem], tracker: Tracker,
                cancel: threading.Event) -> int:
    convert = row_converter(table)
    bad_rows = 0
    for _keys, rows in source.batches(table, None, 5000):
        for row in rows:
            try:
                convert(row)
            except BadValue as exc:
                bad_rows += 1
                problem = problems.setdefault(exc.category,
                                              Problem(exc.category, CATEGORIES[exc.category]))
                problem.count += 1
                if len(problem.examples) < EXAMPLES:
                    problem.examples.append(f"{table.name} {row_id(table, row)}: {exc.column}: "
                                            f"{exc.reason}")
        tracker.advance(table.name, len(rows), phase="scan")
        if cancel.is_set():
            break
    # CHECK constraints are SQL valid on both engines: ask SQLite which rows break them.
    if source.kind == "sqlite" and source.has_table(table.name):
        for check in table.checks:
            rows = source.conn.execute(
                f"SELECT {', '.join(table.column_names)} FROM {table.name} WHERE NOT ({check})"  # noqa: S608
            ).fetchall()
            if rows:
                bad_rows += len(rows)
                problem = problems.setdefault("check", Problem("check", "CHECK violations"))
                problem.count += len(rows)
                for row in rows[: EXAMPLES - len(problem.examples)]:
                    problem.examples.append(f"{table.name} {row_id(table, row)}: violates CHECK ({check})")
    return bad_rows


def make_plan(source_ep: Endpoint, target_ep: Endpoint, tables: tuple[Table, ...], *,
              scan: bool = True, progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None, timeout: float = 1.0) -> Plan:
    """Look without writing anything; a scan reads every source row once."""
    from .copy import open_source, open_target

    start = time.monotonic()
    cancel = cancel or threading.Event()
    state, error = None, None
    try:
        target = open_target(target_ep, timeout=timeout)
        try:
            state = target.state()
        finally:
            target.close()
    except StorageError as exc:
        error = str(exc)
    source = open_source(source_ep)
    try:
        counts = {t.name: source.count(t) for t in tables}
        plans = [TablePlan(t.name, counts[t.name]) for t in tables]
        problems: dict[str, Problem] = {}
        scanned = scan and source.kind != "postgres"  # PostgreSQL already enforced every type
        if scanned:
            tracker = Tracker(counts, progress)
            for table, tp in zip(tables, plans, strict=True):
                tp.bad_rows = _scan_table(source, table, problems, tracker, cancel)
            scanned = not cancel.is_set()  # a cancelled scan proves nothing
    finally:
        source.close()
    if target_ep.kind == "postgres":
        schema = [s for t in tables for s in (pg_table_ddl(t), *pg_finish_ddl(t))]
    else:
        from ..logs.schema import ddl

        schema = ddl("sqlite", tables)
    wide = sum(counts[t.name] for t in tables if any(c.type == "jsonb" for c in t.columns))
    estimate = wide / _ROWS_PER_S_WIDE + (sum(counts.values()) - wide) / _ROWS_PER_S_NARROW
    return Plan(source_ep.display, target_ep.display, error is None, error, state, plans,
                sorted(problems.values(), key=lambda p: -p.count), schema, estimate, scanned,
                time.monotonic() - start)
