"""Benchmark: SQLite -> PostgreSQL migration of N logs (default 1M, ~1.2 KB JSON payloads),
verification included, against a throwaway PostgreSQL server. Prints JSON.

    .venv/bin/python bench/migrate.py [--rows N] [--keep-source]

Figures: copy and verify seconds, rows/s, client RSS (this process, and the verify
workers), beside floors measured in the same run (reading the SQLite source; PostgreSQL
rewriting the migrated table server-side) and the targets (<= 24 s, <= 150 MB RSS).
pgloader runs side by side only when it is on PATH.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from backend.migrate.copy import run_copy  # noqa: E402
from backend.migrate.endpoints import Endpoint  # noqa: E402
from backend.migrate.synth import create_source  # noqa: E402
from backend.migrate.tables import TABLES  # noqa: E402
from backend.migrate.verify import SourceHashes, verify  # noqa: E402

TARGET_SECONDS = 24.0
TARGET_RSS_MB = 150.0
PGLOADER_REFERENCE_S = 42.0  # pgloader 3.6 with CAST rules on this data, per the issue


def _source(rows: int, keep: bool) -> Path:
    path = Path(tempfile.gettempdir()) / f"storeroom-bench-migrate-{rows}.db"
    if keep and path.exists():
        return path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    create_source(path, rows)
    return path


def _read_floor(path: Path) -> float:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = bytes
    start = time.perf_counter()
    for _ in conn.execute("SELECT * FROM run_logs"):
        pass
    conn.close()
    return time.perf_counter() - start


def _server_floor(dsn: str) -> float:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        start = time.perf_counter()
        conn.execute("CREATE TABLE bench_floor AS SELECT * FROM run_logs")
        seconds = time.perf_counter() - start
        conn.execute("DROP TABLE bench_floor")
    return seconds


def _pgloader(source: Path, dsn: str) -> dict[str, object]:
    exe = shutil.which("pgloader")
    if exe is None:
        return {"status": "not installed (pgloader is not on PATH); reference from the issue",
                "reference_seconds": PGLOADER_REFERENCE_S}
    start = time.perf_counter()
    proc = subprocess.run([exe, f"sqlite://{source}", dsn], capture_output=True, text=True,
                          timeout=900)
    return {"status": "ran", "exit_code": proc.returncode,
            "seconds": round(time.perf_counter() - start, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-source", action="store_true",
                        help="reuse the generated source database from a previous run")
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()

    from services import PostgresServer

    t0 = time.perf_counter()
    source = _source(args.rows, args.keep_source)
    generate_s = time.perf_counter() - t0
    with PostgresServer() as server:
        server.start()
        dsn = server.create_database("bench")
        src, dst = Endpoint("sqlite", str(source)), Endpoint("postgres", dsn)
        start = time.perf_counter()
        # As `storeroom migrate run` does: the source side of the verification is hashed
        # in worker processes while the copy runs.
        hashes = SourceHashes(src, TABLES)
        try:
            result = run_copy(src, dst, TABLES, batch_rows=args.batch)
            copy_s = time.perf_counter() - start
            v0 = time.perf_counter()
            report = verify(src, dst, TABLES, source_hashes=hashes)
            verify_s = time.perf_counter() - v0
        finally:
            hashes.close()
        total_s = copy_s + verify_s
        read_floor = _read_floor(source)
        server_floor = _server_floor(dsn)
        pgloader = _pgloader(source, server.create_database("bench_pgloader"))
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = sum(result.rows.values())
    scale = result.rows.get("run_logs", 0) / 1_000_000
    print(json.dumps({
        "rows": {"run_logs": result.rows.get("run_logs"), "all_tables": rows},
        "source_mb": round(source.stat().st_size / 2**20, 1),
        "generate_seconds": round(generate_s, 2),
        "copy_seconds": round(copy_s, 2),
        "verify_seconds_after_copy": round(verify_s, 2),
        "total_seconds": round(total_s, 2),
        "rows_per_s": round(rows / total_s),
        "copy_rows_per_s": round(rows / copy_s),
        "verified": report.ok,
        "quarantined": result.quarantined,
        # The targets are for 1M runs; smaller runs are compared pro rata.
        "target_seconds": round(TARGET_SECONDS * scale, 2),
        "vs_target": round(total_s / (TARGET_SECONDS * scale), 2),
        "speedup_vs_pgloader_reference": round(PGLOADER_REFERENCE_S * scale / total_s, 2),
        "floors": {"sqlite_read_run_logs_seconds": round(read_floor, 2),
                   "postgres_rewrite_run_logs_seconds": round(server_floor, 2)},
        # Load-independent views: our time in units of the server's own rewrite of the
        # table (same run, same load), and the CPU our processes used.
        "total_vs_postgres_rewrite_floor": round(total_s / server_floor, 2),
        "client_cpu_seconds_incl_verify_workers": round(client_cpu, 1),
        "client_rss_mb": round(rss_mb, 1),
        "verify_workers_max_rss_mb": round(children_mb, 1),
        "target_rss_mb": TARGET_RSS_MB,
        "pgloader": pgloader,
        "cpus": __import__("os").cpu_count(),
        "load_average_at_end": __import__("os").getloadavg(),
    }, indent=2))


if __name__ == "__main__":
    main()
