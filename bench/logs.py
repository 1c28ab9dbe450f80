"""Benchmark the logs and metrics stores on SQLite and PostgreSQL (1M runs by default).

Prints JSON: each figure beside a floor measured in the same run on the same data
(raw ``executemany`` into a bare table without indexes and into ``run_logs`` with its
indexes, a bare ``SELECT ... LIMIT`` of
the same rows, a one-row primary-key lookup, gzip + bare delete of the same rows), the
ratio to that floor, and the issue's target.

    .venv/bin/python bench/logs.py [--rows 1000000] [--no-postgres] [--no-indexed-floor]

Runs are cloned from 2,000 realistic runs of sample-data/generate_runs.py (new ids and
times, same payload shapes: ~660 bytes of JSON each), spread over 30 days.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from backend.logs import LogFilter, RetentionPolicy  # noqa: E402
from backend.logs.validate import validate_runs  # noqa: E402
from backend.workspace import open_workspace  # noqa: E402

END = datetime(2026, 3, 1, tzinfo=UTC)
SPAN = timedelta(days=30)
BATCH = 10_000
TARGETS = {"ingest_per_s": 50_000, "record_execution_p50_ms": 0.2, "sqlite_first_page_p95_ms": 10,
           "postgres_first_page_p95_ms": 20, "get_summary_ms": 1, "retention_100k_s": 10}


def templates() -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("generate_runs", ROOT / "sample-data" / "generate_runs.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return list(module.generate_runs(2000, seed=7, end=END))


def batches(base: list[dict[str, Any]], rows: int, seed: int = 0) -> Iterator[list[dict[str, Any]]]:
    """``rows`` runs in time order, in batches; deterministic for a seed."""
    step = SPAN / rows
    start = END - SPAN
    rng_ids = uuid.UUID(int=seed)
    batch: list[dict[str, Any]] = []
    for i in range(rows):
        t = base[i % len(base)]
        at = start + step * i
        rid = str(uuid.UUID(int=(rng_ids.int + (i * 0x9E3779B97F4A7C15_F39CC0605CEDC834)) % (1 << 128), version=4))
        batch.append({**t, "run_id": rid, "started_at": at,
                      "finished_at": at + timedelta(milliseconds=t["duration_ms"])})
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered), 4), "p95_ms": round(p95, 4), "n": len(ordered)}


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def make_ws(root: Path, backend: str, dsn: str | None = None) -> Any:
    root.mkdir(parents=True)
    text = f"workspace:\n  name: bench\nlogs:\n  backend: {backend}\n"
    if dsn:
        text += f"postgres:\n  dsn: {dsn}\n"
    (root / "storeroom.yaml").write_text(text)
    return open_workspace(root, create=True)


def ingest(ws: Any, base: list[dict[str, Any]], rows: int) -> float:
    t0 = time.perf_counter()
    for batch in batches(base, rows):
        ws.logs.store_logs(batch)
    return rows / (time.perf_counter() - t0)


def indexed_floor(path: Path, base: list[dict[str, Any]], rows: int) -> float:
    """Rows/s of raw executemany of pre-validated rows into run_logs with its real indexes
    (no aggregates, no validation): what SQLite itself costs for this schema."""
    from backend.logs import schema

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in schema.ddl("sqlite", (schema.RUN_LOGS,)):
        conn.execute(statement)
    spent = 0.0
    for batch in batches(base, rows):
        encoded = [r[:4] + r[6:] for r in validate_runs(batch)]
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO run_logs VALUES (?,?,?,?,?,?,?,?,?)", encoded)
        conn.execute("COMMIT")
        spent += time.perf_counter() - t0
    conn.close()
    return rows / spent


def bare_floor(path: Path, base: list[dict[str, Any]], rows: int) -> tuple[float, float, sqlite3.Connection]:
    """Rows/s of raw executemany of pre-encoded rows into a bare table, and of validation."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE bare (run_id, workflow_id, workflow_version, status, started_at, "
                 "finished_at, duration_ms, error, payload)")
    insert_s = validate_s = 0.0
    for batch in batches(base, rows):
        t0 = time.perf_counter()
        encoded = [r[:4] + r[6:] for r in validate_runs(batch)]
        t1 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO bare VALUES (?,?,?,?,?,?,?,?,?)", encoded)
        conn.execute("COMMIT")
        validate_s += t1 - t0
        insert_s += time.perf_counter() - t1
    return rows / insert_s, rows / validate_s, conn


FILTERS = [
    LogFilter(limit=50, with_payload=False),
    LogFilter(workflow_id="support-ticket-router", limit=50, with_payload=False),
    LogFilter(workflow_id="pr-quality-gate", workflow_version=3, limit=50, with_payload=False),
    LogFilter(statuses=frozenset({"failure", "timeout"}), limit=50, with_payload=False),
    LogFilter(statuses=frozenset({"cancelled"}), limit=50, with_payload=False),
    LogFilter(since=END - timedelta(days=3), until=END - timedelta(days=2), limit=50, with_payload=False),
    LogFilter(workflow_id="invoice-ingest", error_text="timeout", limit=50, with_payload=False),
]


def pages(ws: Any, repeat: int) -> dict[str, Any]:
    first, nxt = [], []
    for flt in FILTERS:
        page = ws.logs.query_logs(flt)
        cursor = page.next_cursor
        first += timed(lambda flt=flt: ws.logs.query_logs(flt), repeat)
        if cursor:
            follow = LogFilter(**{**flt.__dict__, "cursor": cursor})
            nxt += timed(lambda f=follow: ws.logs.query_logs(f), repeat)
    return {"first_page": ms(first), "next_page": ms(nxt), "filters": len(FILTERS)}


def summaries(ws: Any, repeat: int) -> dict[str, float]:
    return ms(timed(lambda: ws.metrics.get_summary("pr-quality-gate", 3), repeat)
              + timed(lambda: ws.metrics.get_summary("support-ticket-router"), repeat))


def record_single(ws: Any, base: list[dict[str, Any]], repeat: int) -> dict[str, float]:
    runs = next(batches(base, repeat, seed=99))
    samples = []
    for run in runs:
        t0 = time.perf_counter()
        ws.metrics.record_execution(run)
        samples.append((time.perf_counter() - t0) * 1000)
    return ms(samples)


def retention(ws: Any, rows: int, target_rows: int) -> dict[str, Any]:
    share = min(1.0, target_rows / rows)
    policy = RetentionPolicy(max_age=SPAN * (1 - share))
    t0 = time.perf_counter()
    result = ws.logs.apply_retention(policy, now=END)
    return {"deleted": result.deleted, "seconds": round(time.perf_counter() - t0, 3),
            "archive_bytes": Path(result.archive).stat().st_size if result.archive else 0}


def retention_floor(conn: sqlite3.Connection, count: int, folder: Path) -> float:
    """Read the same number of rows, gzip them as JSON lines, delete them: a bare pass."""
    t0 = time.perf_counter()
    rows = conn.execute("SELECT rowid, * FROM bare ORDER BY rowid LIMIT ?", (count,)).fetchall()
    text = "".join(json.dumps(r[1:], separators=(",", ":")) + "\n" for r in rows)
    (folder / "floor.jsonl.gz").write_bytes(gzip.compress(text.encode(), compresslevel=1))
    conn.execute("BEGIN")
    conn.execute("DELETE FROM bare WHERE rowid <= ?", (rows[-1][0],))
    conn.execute("COMMIT")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--retention-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-indexed-floor", action="store_true",
                        help="skip the raw insert into the indexed schema (saves a full load)")
    args = parser.parse_args()
    base = templates()
    out: dict[str, Any] = {"rows": args.rows, "targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="storeroom-bench-") as tmp:
        folder = Path(tmp)
        floor_insert, floor_validate, bare = bare_floor(folder / "bare.db", base, args.rows)
        ws = make_ws(folder / "sqlite", "sqlite")
        rate = ingest(ws, base, args.rows)
        ws.logs.engine.analyze()
        out["sqlite_ingest"] = {"logs_per_s": round(rate), "floor_bare_insert_per_s": round(floor_insert),
                                "validate_only_per_s": round(floor_validate),
                                "ratio_to_floor": ratio(floor_insert, rate)}
        bare_page = ms(timed(lambda: bare.execute("SELECT * FROM bare WHERE rowid > 1000 LIMIT 51").fetchall(),
                             args.repeat))
        bare_pk = ms(timed(lambda: bare.execute("SELECT * FROM bare WHERE rowid = 4242").fetchall(), args.repeat))
        out["sqlite_pages"] = {**pages(ws, args.repeat // 4), "floor_bare_51_rows": bare_page}
        out["sqlite_get_summary"] = {**summaries(ws, args.repeat), "floor_pk_row": bare_pk}
        floor_single = ms(timed(lambda: bare.execute(
            "INSERT INTO bare VALUES (?,?,?,?,?,?,?,?,?)",
            (str(uuid.uuid4()), "w", 1, "success", "t", "t", 1, None, "{}")), args.repeat))
        out["sqlite_record_execution"] = {**record_single(ws, base, args.repeat * 5),
                                          "floor_autocommit_insert": floor_single}
        ret = retention(ws, args.rows, args.retention_rows)
        ret["floor_seconds"] = round(retention_floor(bare, ret["deleted"], folder), 3)
        out["sqlite_retention"] = ret
        # Last: another 1.4 GB database would push ours out of the page cache (this kind
        # of machine keeps about 2 GB cached), and the latencies above would measure disk.
        if not args.no_indexed_floor:
            indexed = indexed_floor(folder / "indexed.db", base, args.rows)
            out["sqlite_ingest"]["floor_raw_insert_same_indexes_per_s"] = round(indexed)
            out["sqlite_ingest"]["ratio_to_indexed_floor"] = ratio(indexed, rate)
        ws.close()
        bare.close()
        if not args.no_postgres:
            out.update(postgres(folder, base, args))
    out["meets"] = {
        "ingest": out["sqlite_ingest"]["logs_per_s"] >= TARGETS["ingest_per_s"],
        "record_execution": out["sqlite_record_execution"]["median_ms"] <= TARGETS["record_execution_p50_ms"],
        "sqlite_first_page": out["sqlite_pages"]["first_page"]["p95_ms"] <= TARGETS["sqlite_first_page_p95_ms"],
        "sqlite_next_page": out["sqlite_pages"]["next_page"]["p95_ms"] <= TARGETS["sqlite_first_page_p95_ms"],
        "get_summary": out["sqlite_get_summary"]["median_ms"] <= TARGETS["get_summary_ms"],
        "retention": out["sqlite_retention"]["seconds"] <= TARGETS["retention_100k_s"],
    }
    if "postgres_pages" in out:
        out["meets"]["postgres_first_page"] = out["postgres_pages"]["first_page"]["p95_ms"] <= 20
        out["meets"]["postgres_next_page"] = out["postgres_pages"]["next_page"]["p95_ms"] <= 20
    print(json.dumps(out, indent=2))


def postgres(folder: Path, base: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    import psycopg
    from services import PostgresServer

    out: dict[str, Any] = {}
    with PostgresServer() as server:
        dsn = server.create_database("bench")
        ws = make_ws(folder / "pg", "postgres", dsn)
        out["postgres_ingest"] = {"logs_per_s": round(ingest(ws, base, args.rows))}
        ws.logs.engine.analyze()
        with psycopg.connect(dsn, autocommit=True) as conn:
            floor = ms(timed(lambda: conn.execute("SELECT * FROM run_logs LIMIT 51").fetchall(), args.repeat))
        out["postgres_pages"] = {**pages(ws, args.repeat // 4), "floor_bare_51_rows": floor}
        out["postgres_get_summary"] = summaries(ws, args.repeat)
        ws.close()
    return out


if __name__ == "__main__":
    main()
