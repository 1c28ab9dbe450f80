"""Verify a migration: counts, an order-independent hash of every column of every row
computed on both sides, and a sample of full-row comparisons; a report per table.

Quarantined source rows are excluded from the source side (they are listed, not lost).
The SQLite side is hashed in worker processes over rowid ranges while PostgreSQL hashes
its side in SQL, so the two sides run at the same time.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .endpoints import Endpoint
from .progress import ProgressCallback, Tracker
from .sides import PgSide, SqliteSide
from .tables import Table

PARALLEL_MIN_ROWS = 100_000


@dataclass
class TableReport:
    table: str
    source_rows: int
    quarantined: int
    target_rows: int
    source_hash: str
    target_hash: str
    samples: int
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.source_rows - self.quarantined == self.target_rows
                and self.source_hash == self.target_hash and not self.mismatches)

    @property
    def verdict(self) -> str:
        if self.ok:
            note = f", {self.quarantined} quarantined excluded" if self.quarantined else ""
            return f"ok: {self.target_rows:,} rows, hash equal, {self.samples} samples equal{note}"
        problems = []
        if self.source_rows - self.quarantined != self.target_rows:
            problems.append(f"count differs: source {self.source_rows:,} - {self.quarantined} "
                            f"quarantined != target {self.target_rows:,}")
        if self.source_hash != self.target_hash:
            problems.append("hash differs: some row's content changed")
        problems += self.mismatches[:5]
        return "MISMATCH: " + "; ".join(problems)


@dataclass
class VerifyReport:
    tables: list[TableReport]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def failed_tables(self) -> list[str]:
        return [t.table for t in self.tables if not t.ok]

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "seconds": round(self.seconds, 3),
                "tables": [{**asdict(t), "ok": t.ok, "verdict": t.verdict} for t in self.tables]}


def _side(ep: Endpoint) -> Any:
    if ep.kind == "jsonl":
        from .jsonl import JsonlSide

        return JsonlSide(ep.path)
    return PgSide(ep.location) if ep.kind == "postgres" else SqliteSide(ep.path)


def _sqlite_part(path: str, table_name: str, exclude: list[Any], lo: int, hi: int) -> tuple[int, int]:
    from .tables import select_tables

    side = SqliteSide(Path(path))
    try:
        return side.table_hash(select_tables([table_name])[0], exclude, (lo, hi))
    finally:
        side.close()


def _sqlite_hash(side: SqliteSide, path: Path, table: Table, exclude: list[Any],
                 pool: cf.Executor | None) -> tuple[int, int]:
    if pool is None or not side.has_table(table):
        return side.table_hash(table, exclude)
    parts = [pool.submit(_sqlite_part, str(path), table.name, exclude, lo, hi)
             for lo, hi in _ranges(side, table, pool._max_workers)]  # type: ignore[attr-defined]
    results = [p.result() for p in parts]
    return sum(r[0] for r in results), sum(r[1] for r in results)


class SourceHashes:
    """Hash every row of a SQLite source in worker processes, started before the copy.

    The source does not change during a migration, so its side of the verification
    can run while the copy keeps PostgreSQL busy; quarantined rows are subtracted later.
    """

    def __init__(self, ep: Endpoint, tables: tuple[Table, ...]) -> None:
        # Niced: the copy is the critical path; hashing soaks up the CPU it leaves.
        self.pool = cf.ProcessPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, 4)),
                                           mp_context=multiprocessing.get_context("spawn"),
                                           initializer=os.nice, initargs=(10,))
        side = SqliteSide(ep.path)
        try:
            self.parts = {t.name: [self.pool.submit(_sqlite_part, str(ep.path), t.name, [], lo, hi)
                                   for lo, hi in _ranges(side, t, self.pool._max_workers)]
                          for t in tables}
        finally:
            side.close()

    @staticmethod
    def worth_it(ep: Endpoint, tables: tuple[Table, ...]) -> bool:
        """Only big sources pay back the worker processes' start-up."""
        if ep.kind != "sqlite":
            return False
        side = SqliteSide(ep.path)
        try:
            return any(_rows(side, t) >= PARALLEL_MIN_ROWS for t in tables)
        finally:
            side.close()

    def result(self, table: Table) -> tuple[int, int]:
        parts = [p.result() for p in self.parts.get(table.name, [])]
        return sum(p[0] for p in parts), sum(p[1] for p in parts)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _pg_table_hash(dsn: str, table: Table) -> tuple[int, int]:
    side = PgSide(dsn)
    try:
        return side.table_hash(table)
    finally:
        side.close()


class EarlyTargetHashes:
    """PostgreSQL's side of the verification, started as soon as the copy has loaded a
    table: the server hashes its rows on another connection while the copy builds that
    table's indexes (which change no row). Pass :meth:`loaded` as ``run_copy``'s
    ``on_loaded`` and this object to :func:`verify`."""

    def __init__(self, ep: Endpoint) -> None:
        self.dsn = ep.location
        self.pool = cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify-target")
        self.futures: dict[str, cf.Future[tuple[int, int]]] = {}

    def loaded(self, table: Table) -> None:
        self.futures[table.name] = self.pool.submit(_pg_table_hash, self.dsn, table)

    def result(self, table: Table) -> tuple[int, int] | None:
        """The hash taken early, or None (not loaded in this run, or it failed)."""
        future = self.futures.get(table.name)
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - e.g. a dropped connection: verify hashes it again
            return None

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _ranges(side: SqliteSide, table: Table, n: int) -> list[tuple[int, int]]:
    if not side.has_table(table):
        return []
    lo, hi = side.rowid_bounds(table)
    step = (hi - lo) // n + 1
    return [(lo + i * step, lo + (i + 1) * step - 1) for i in range(n)]


def verify(source_ep: Endpoint, target_ep: Endpoint, tables: tuple[Table, ...], *,
           sample: int = 20, progress: ProgressCallback | None = None,
           source_hashes: SourceHashes | None = None,
           copied_hashes: dict[str, tuple[int, int]] | None = None,
           early_target: EarlyTargetHashes | None = None) -> VerifyReport:
    """Compare every table of ``tables`` between source and target.

    ``copied_hashes``: source (rows, hash) per table, taken by the copy that just read
    those tables whole (``CopyResult.source_hashes``); the other tables are hashed here.
    ``early_target``: target hashes the copy started (:class:`EarlyTargetHashes`).
    """
    copied_hashes = copied_hashes or {}
    from .copy import open_target

    start = time.monotonic()
    target_store = open_target(target_ep)
    try:
        quarantined = target_store.quarantined()
    finally:
        target_store.close()
    source, target = _side(source_ep), _side(target_ep)
    local = target if source.kind == "postgres" else source  # sample keys come from here
    tracker = Tracker({t.name: 1 for t in tables}, progress)
    reports = []
    big = any(side.kind == "sqlite" and _rows(side, t) >= PARALLEL_MIN_ROWS
              for t in tables for side in (source, target)
              if not (side is source and (source_hashes is not None or t.name in copied_hashes)))
    pool = (cf.ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, 4),
                                   mp_context=multiprocessing.get_context("spawn"))
            if big else None)

    def hash_of(side: Any, ep: Endpoint, table: Table, exclude: list[Any]) -> tuple[int, int]:
        if side is source and (source_hashes is not None or table.name in copied_hashes):
            known = copied_hashes.get(table.name)
            count, total = known if known is not None else source_hashes.result(table)  # type: ignore[union-attr]
            if exclude:
                less = side.table_hash(table, only=exclude)
                count, total = count - less[0], total - less[1]
            return count, total
        if side.kind == "sqlite":
            return _sqlite_hash(side, ep.path, table, exclude, pool)
        return side.table_hash(table, exclude)

    try:
        with cf.ThreadPoolExecutor(max_workers=1) as background:
            for table in tables:
                tracker.emit("verify", table.name)
                excluded = [q.source_key for q in quarantined if q.table == table.name]
                excluded = list({json_key(k): k for k in excluded}.values())
                # Both sides at once: PostgreSQL works in its server, SQLite in our workers.
                later = background.submit(hash_of, source, source_ep, table, excluded)
                early = early_target.result(table) if early_target is not None else None
                t_rows, t_hash = early if early is not None else hash_of(target, target_ep, table, [])
                s_rows, s_hash = later.result()
                keys = local.sample_keys(table, sample)
                skipped = {q.row_id for q in quarantined if q.table == table.name}
                keys = [k for k in keys if _shown(table, k) not in skipped]
                mismatches = _compare_samples(source, target, table, keys)
                reports.append(TableReport(table.name, s_rows + len(excluded), len(excluded),
                                           t_rows, str(s_hash), str(t_hash), len(keys),
                                           mismatches))
                tracker.advance(table.name, 1, phase="verify")
    finally:
        if pool is not None:
            pool.shutdown()
        source.close()
        target.close()
    return VerifyReport(reports, time.monotonic() - start)


def json_key(key: Any) -> str:
    import json

    return json.dumps(key, default=str)


def _rows(side: SqliteSide, table: Table) -> int:
    if not side.has_table(table):
        return 0
    lo, hi = side.rowid_bounds(table)
    return hi - lo


def _shown(table: Table, key: tuple[Any, ...]) -> str:
    return ", ".join(f"{k}={v}" for k, v in zip(table.primary_key, key, strict=False))


def _compare_samples(source: Any, target: Any, table: Table, keys: list[tuple[Any, ...]]) -> list[str]:
    out = []
    for key in keys:
        a, b = source.fetch(table, key), target.fetch(table, key)
        shown = _shown(table, key)
        if a is None or b is None:
            if a != b:
                out.append(f"row {shown} missing on the {'target' if b is None else 'source'}")
            continue
        cols = [c.name for c, x, y in zip(table.columns, a, b, strict=False) if x != y]
        if cols:
            out.append(f"row {shown} differs in {', '.join(cols)}")
    return out
