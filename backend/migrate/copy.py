"""The copy: keyset batches from the source, converted, checked, committed with checkpoints.

A row that cannot go is quarantined (table, key, column, exact reason) in the target in
the same transaction as its batch; it is never dropped or cut short in silence. A big
table goes over two PostgreSQL connections at once, its batches still committed one
after another in order (see ``lanes``). A lost connection is retried from the target's
last committed checkpoint; cancelling stops between batches (a batch sent but not yet
committed is rolled back), and a later ``resume`` continues where the checkpoint says.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import BackendUnavailable
from . import wire
from .control import Checkpoint, Quarantined
from .endpoints import Endpoint
from .lanes import OrderedLoad
from .prefetch import ReadAhead
from .progress import ProgressCallback, Tracker
from .sources import PgSource, SqliteSource, row_id
from .tables import Table
from .tally import SourceTally
from .target_pg import Item, PgTarget
from .target_sqlite import SqliteTarget
from .values import BadValue, row_converter

log = logging.getLogger(__name__)
DEFAULT_BATCH_ROWS = 2500  # ~3.5 MB of 1.2 KB payloads: a few batches in flight stay small
# PostgreSQL target connections loading a big table at once: one backend parsing jsonb
# bounds a single-connection copy; two use both cores of a small server.
DEFAULT_CONNECTIONS = 2


@dataclass
class CopyResult:
    """How a run ended: ``completed``, ``completed-with-quarantine`` or ``cancelled``."""

    status: str
    rows: dict[str, int]
    quarantined: int
    seconds: float
    resumed_from: dict[str, int] = field(default_factory=dict)
    # (rows, hash) of each source table read whole by this run (see SourceTally)
    source_hashes: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        total = sum(self.rows.values())
        if self.status == "cancelled":
            return f"cancelled after {total:,} rows; resume to continue"
        if self.quarantined:
            return f"completed with {self.quarantined} quarantined ({total:,} rows copied)"
        return f"completed ({total:,} rows copied)"


def open_source(ep: Endpoint, timeout: float = 1.0) -> Any:
    if ep.kind == "sqlite":
        return SqliteSource(ep.path)
    if ep.kind == "postgres":
        return PgSource(ep.location, timeout=timeout)
    from .jsonl import JsonlSource

    return JsonlSource(ep.path)


def open_target(ep: Endpoint, timeout: float = 1.0) -> Any:
    if ep.kind == "postgres":
        return PgTarget(ep.location, timeout=timeout)
    if ep.kind == "sqlite":
        return SqliteTarget(ep.path)
    from ..errors import ValidationError

    raise ValidationError("a JSON-lines archive can only be a source",
                          hint="Use --to postgresql://... or --to FILE.db.")


def _converter(source_kind: str, target_kind: str, table: Table) -> Callable[[tuple], list]:
    check = row_converter(table)
    if target_kind == "postgres":
        return check
    if source_kind == "postgres":
        return list  # PostgreSQL already enforced every type; rows come in SQLite's form

    def validate_only(row: tuple) -> list:
        check(row)
        return list(row)

    return validate_only


def _is_connection_error(exc: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return isinstance(exc, BackendUnavailable)
    return isinstance(exc, BackendUnavailable | psycopg.OperationalError | psycopg.InterfaceError)


def run_copy(source_ep: Endpoint, target_ep: Endpoint, tables: tuple[Table, ...], *,
             resume: bool = False, batch_rows: int = DEFAULT_BATCH_ROWS,
             progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
             retries: int = 5, retry_wait: float = 1.0,
             on_loaded: Callable[[Table], None] | None = None,
             connections: int = DEFAULT_CONNECTIONS) -> CopyResult:
    """Copy ``tables`` from source to target; see the module docstring for the guarantees.

    ``connections``: how many PostgreSQL connections load a table of several batches
    at once (see ``lanes``).

    ``on_loaded(table)`` runs once all of a table's rows are committed, before its
    indexes are built (a verification can start hashing it then).
    """
    cancel = cancel or threading.Event()
    start = time.monotonic()
    tally = None
    source = open_source(source_ep)
    target = open_target(target_ep)
    try:
        totals = {t.name: source.count(t) for t in tables}
        checkpoints = target.prepare(tables, source.identity, resume)
        tracker = Tracker(totals, progress)
        resumed = {}
        for t in tables:
            cp = checkpoints[t.name]
            tracker.resume(t.name, cp.rows_copied, cp.rows_quarantined)
            if cp.rows_copied or cp.rows_quarantined:
                resumed[t.name] = cp.rows_copied + cp.rows_quarantined
            if cp.done:
                tracker.finished.add(t.name)
        tracker.emit("copy", tables[0].name if tables else "")
        tally = SourceTally.for_copy(source_ep, target_ep)
        for table in tables:
            attempt = 0
            while True:
                try:
                    if _copy_table(source, target, table, checkpoints[table.name], tracker,
                                   batch_rows, cancel, tally, on_loaded, connections):
                        return _result("cancelled", target, tables, start, resumed)
                    break
                except Exception as exc:
                    if not _is_connection_error(exc):
                        raise
                    if attempt >= retries:
                        if isinstance(exc, BackendUnavailable):
                            raise
                        raise BackendUnavailable(
                            "PostgreSQL", f"connection lost during the copy of {table.name}: "
                            f"{str(exc).strip() or type(exc).__name__}",
                            hint="Nothing committed is lost: resume with --resume once the "
                                 "server is back.") from None
                    attempt += 1
                    log.warning("target connection lost (%s); retry %d from checkpoint", exc, attempt)
                    target = _reconnect(target, target_ep, retry_wait, cancel)
                    checkpoints = target.prepare(tables, source.identity, True)
                    tracker.resume(table.name, checkpoints[table.name].rows_copied,
                                   checkpoints[table.name].rows_quarantined)
        target.finish()
        status = "completed"
        result = _result(status, target, tables, start, resumed)
        if tally is not None:
            result.source_hashes = tally.complete()
        if result.quarantined:
            result.status = "completed-with-quarantine"
        tracker.emit("done", tables[-1].name if tables else "")
        return result
    finally:
        if tally is not None:
            tally.close()
        source.close()
        target.close()


def _reconnect(target: Any, ep: Endpoint, wait: float, cancel: threading.Event) -> Any:
    try:
        target.close()
    except Exception:  # noqa: BLE001 - the old connection is already broken
        pass
    deadline = time.monotonic() + max(wait * 10, 10)
    while True:
        if cancel.wait(wait):
            raise BackendUnavailable("PostgreSQL", "cancelled while reconnecting",
                                     hint="Resume the migration later.")
        try:
            return open_target(ep)
        except BackendUnavailable:
            if time.monotonic() > deadline:
                raise


@dataclass
class _Batch:
    """One batch on its way: what is sent, then what its commit records."""

    last_key: Any
    items: list[Item] | None
    bad: list[Quarantined]
    data: list[bytes] | None
    hashed: cf.Future[tuple[int, int]] | None  # the tally's hash, taken in its own thread
    rows: int = 0


def _lane_count(target: Any, remaining: int, batch_rows: int, connections: int) -> int:
    """Connections for a table: one unless it has batches enough to share (PostgreSQL)."""
    if connections < 2 or not hasattr(target, "lane") or remaining <= batch_rows:
        return 1
    return connections


def _copy_table(source: Any, target: Any, table: Table, cp: Checkpoint, tracker: Tracker,
                batch_rows: int, cancel: threading.Event, tally: SourceTally | None = None,
                on_loaded: Callable[[Table], None] | None = None,
                connections: int = DEFAULT_CONNECTIONS) -> bool:
    """Copy one table from its checkpoint; True if cancelled."""
    if cp.done:
        return False
    if tally is not None:
        tally.begin(table, cp)
    convert = _converter(source.kind, target.kind, table)
    encoder = wire.batch_encoder(table) if target.kind == "postgres" else None
    after = cp.last_key  # read here: the commits below move cp.last_key on

    remaining = tracker.totals.get(table.name, 0) - tracker.done.get(table.name, 0)
    lane_count = _lane_count(target, remaining, batch_rows, connections)
    # With several connections the read-ahead (read, hash, encode) became the critical
    # path; the tally's C hash runs without the GIL, so in a thread of its own it
    # overlaps the reading and encoding of the next batch.
    hasher = (cf.ThreadPoolExecutor(1, thread_name_prefix="migrate-hash")
              if tally is not None and lane_count > 1 else None)

    def hash_of(keys: list[Any], rows: list[tuple[Any, ...]]) -> cf.Future[tuple[int, int]] | None:
        if tally is None:
            return None
        if hasher is not None:
            return hasher.submit(tally.hash_batch, table, keys, rows)
        done: cf.Future[tuple[int, int]] = cf.Future()
        done.set_result(tally.hash_batch(table, keys, rows))
        return done

    def prepared() -> Iterator[_Batch]:
        for keys, rows in source.batches(table, after, batch_rows):
            hashed = hash_of(keys, rows)
            yield _Batch(keys[-1], *_prepare_batch(table, keys, rows, convert, encoder), hashed)

    def stage(lane: Any, batch: _Batch) -> list[Quarantined]:
        refused = lane.stage(table, batch.items, batch.data)
        batch.rows = len(batch.items or ())
        batch.items = batch.data = None  # sent: only the counts are needed from here on
        return refused

    def commit(lane: Any, batch: _Batch, refused: list[Quarantined]) -> None:
        hashed = batch.hashed.result() if batch.hashed is not None else None
        cp.last_key = batch.last_key
        cp.rows_copied += batch.rows - len(refused)
        cp.rows_quarantined += len(batch.bad) + len(refused)
        lane.commit(batch.bad + refused, cp)
        if tally is not None:
            tally.committed(table, batch.last_key, hashed)  # only what is committed counts
        tracker.advance(table.name, batch.rows - len(refused), len(batch.bad) + len(refused))

    lanes = [target]
    try:
        while len(lanes) < lane_count:
            lanes.append(target.lane())
        # The next batches are read and converted while these are sent (see prefetch);
        # the lanes send batches in parallel and commit them in order (see lanes).
        with ReadAhead(prepared()) as batches, \
                OrderedLoad(lanes, stage, commit) as load:
            for batch in batches:
                load.put(batch)
                if cancel.is_set():
                    return True  # batches sent but not committed are rolled back
            load.drain()
    finally:
        for lane in lanes[1:]:
            lane.close()
        if hasher is not None:
            hasher.shutdown(wait=True, cancel_futures=True)
    if on_loaded is not None:
        on_loaded(table)
    tracker.emit("index", table.name)
    target.finish_table(table, cp)
    if tally is not None:
        tally.finished(table)
    tracker.finish(table.name)
    return False


def _quarantine(table: Table, key: Any, row: tuple[Any, ...], exc: BadValue) -> Quarantined:
    return Quarantined(table.name, key, row_id(table, row), exc.column, exc.category,
                       exc.reason, _excerpt(table, row, exc.column))


def _prepare_batch(table: Table, keys: list[Any], rows: list[tuple[Any, ...]],
                   convert: Callable[[tuple], list], encoder: wire.BatchEncoder | None,
                   ) -> tuple[list[Item], list[Quarantined], list[bytes] | None]:
    """(items, quarantined rows, binary COPY pieces or None) for one batch read."""
    items: list[Item] = []
    bad: list[Quarantined] = []
    if encoder is None:
        for key, row in zip(keys, rows, strict=True):
            try:
                items.append((key, row, convert(row)))
            except BadValue as exc:
                bad.append(_quarantine(table, key, row, exc))
        return items, bad, None
    # C encodes the plainly valid rows; the rest are converted (or quarantined) by the
    # same Python checks as always.
    taken, slow = encoder.encode_raw(rows)
    if not slow:
        return [(k, r, None) for k, r in zip(keys, rows, strict=True)], bad, [taken]
    converted = []
    left = set(slow)
    for i, (key, row) in enumerate(zip(keys, rows, strict=True)):
        if i not in left:
            items.append((key, row, None))
            continue
        try:
            values = convert(row)
        except BadValue as exc:
            bad.append(_quarantine(table, key, row, exc))
            continue
        items.append((key, row, values))
        converted.append(values)
    return items, bad, [taken, encoder.encode_converted(converted)]


def _excerpt(table: Table, row: tuple[Any, ...], column: str) -> str | None:
    """The start of the offending value, printable, for the quarantine report."""
    try:
        value = row[table.column_names.index(column)]
    except ValueError:
        return None
    if isinstance(value, bytes):
        value = value.removeprefix(b"!") if table.column(column).type == "jsonb" else value
        text = value.decode("utf-8", "backslashreplace")
    else:
        text = str(value)
    text = text.replace("\x00", "\\x00")
    return text[:120]


def _result(status: str, target: Any, tables: tuple[Table, ...], start: float,
            resumed: dict[str, int]) -> CopyResult:
    state = target.state()
    rows = {t.name: state.checkpoints[t.name].rows_copied for t in tables
            if t.name in state.checkpoints}
    quarantined = sum(cp.rows_quarantined for cp in state.checkpoints.values())
    return CopyResult(status, rows, quarantined, time.monotonic() - start, resumed)
