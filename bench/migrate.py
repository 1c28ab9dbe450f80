"""Benchmark: SQLite -> PostgreSQL migration of N logs (default 1M, ~1.2 KB JSON payloads),
verification included, against a throwaway PostgreSQL server. Prints JSON.

    .venv/bin/python bench/migrate.py [--rows N] [--keep-source] [--repeat K]

Figures (medians over K migrations, each into a fresh database): copy and verify seconds,
rows/s, the CPU seconds of the client (with its verify workers, used only without the C
accelerator: with it the copy hashes the source as it reads) and of the server, client
RSS, beside floors measured in the same run (reading the SQLite source; PostgreSQL
rewriting the migrated table server-side, as is and re-parsing the JSON into jsonb, on
one backend like the COPY) and the targets (<= 24 s, <= 150 MB RSS). The server runs with
fsync off (tests/services.py), as the floors do. pgloader (apt-get install pgloader) runs
side by side, with CAST rules typing every column as ours does, when it is on PATH: the
issue's target is >= 1.75x its time on the same data. The source is read once before each migration (``--cold`` skips that): this
kind of machine evicts the page cache within seconds, so otherwise a run measures the
disk as much as the migration.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from backend.logs.schema import PG_TYPES  # noqa: E402
from backend.migrate.copy import DEFAULT_BATCH_ROWS, DEFAULT_CONNECTIONS, run_copy  # noqa: E402
from backend.migrate.endpoints import Endpoint  # noqa: E402
from backend.migrate.synth import create_source  # noqa: E402
from backend.migrate.tables import TABLES  # noqa: E402
from backend.migrate.tally import copy_hashes_source  # noqa: E402
from backend.migrate.verify import EarlyTargetHashes, SourceHashes, verify  # noqa: E402

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


def _warm(path: Path) -> float:
    """Read the source file once, so every migration starts from the page cache (the
    copy's time is then the work, not this disk's read speed); seconds it took."""
    start = time.perf_counter()
    with path.open("rb") as fh:
        while fh.read(8 << 20):
            pass
    return time.perf_counter() - start


def _read_floor(path: Path) -> float:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = bytes
    start = time.perf_counter()
    for _ in conn.execute("SELECT * FROM run_logs"):
        pass
    conn.close()
    return time.perf_counter() - start


def _server_floor(dsn: str, reparse: bool = False) -> float:
    """The server rewriting the migrated table; ``reparse``: JSON parsed again from text
    (what a load must pay at least: jsonb ingestion), on one backend like the COPY."""
    import psycopg

    payload = "payload::text::jsonb AS payload" if reparse else "payload"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")
        start = time.perf_counter()
        conn.execute("CREATE TABLE bench_floor AS SELECT run_id, workflow_id, workflow_version,"  # noqa: S608
                     f" status, started_at, finished_at, duration_ms, error, {payload}"
                     " FROM run_logs")
        seconds = time.perf_counter() - start
        conn.execute("DROP TABLE bench_floor")
    return seconds


def _server_settings(dsn: str) -> dict[str, str]:
    import psycopg

    names = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level",
             "max_parallel_workers_per_gather")
    with psycopg.connect(dsn, autocommit=True) as conn:
        return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}


def _server_cpu(data_dir: Path) -> float:
    """CPU seconds used by one PostgreSQL server: the postmaster, its live children and
    (through the postmaster's reaped-children counters) every backend that has exited."""
    tick = os.sysconf("SC_CLK_TCK")
    postmaster = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(proc.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _pgloader_load_file(source: Path, dsn: str) -> str:
    """pgloader's command with CAST rules: every column typed as our target types it
    (uuid, timestamptz, jsonb), not left as text, so both do the same work."""
    casts = [f"column {t.name}.{c.name} to {PG_TYPES[c.type]} drop typemod"
             for t in TABLES for c in t.columns if c.type in ("uuid", "timestamptz", "jsonb")]
    return (f"LOAD DATABASE\n     FROM sqlite://{source}\n     INTO {dsn}\n"
            " WITH include drop, create tables, create indexes, reset sequences\n"
            " CAST " + ",\n      ".join(casts) + "\n;\n")


def _pgloader(source: Path, dsn: str, heap_mb: int | None) -> dict[str, object]:
    exe = shutil.which("pgloader")
    if exe is None:
        return {"status": "not installed (pgloader is not on PATH: apt-get install pgloader); "
                          "reference from the issue", "reference_seconds": PGLOADER_REFERENCE_S}
    with tempfile.NamedTemporaryFile("w", suffix=".load", delete=False) as fh:
        fh.write(_pgloader_load_file(source, dsn))
    args = [exe, *(["--dynamic-space-size", str(heap_mb)] if heap_mb else []), fh.name]
    _warm(source)  # from the page cache, as our runs
    start = time.perf_counter()
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    finally:
        os.unlink(fh.name)
    seconds = time.perf_counter() - start
    rows = None
    if proc.returncode == 0:
        import psycopg

        with psycopg.connect(dsn) as conn:
            rows = conn.execute("SELECT count(*) FROM run_logs").fetchone()[0]
    return {"status": "ran", "exit_code": proc.returncode, "seconds": round(seconds, 2),
            "run_logs_rows": rows, "heap_mb": heap_mb, "with_cast_rules": True,
            "tail": (proc.stdout + proc.stderr)[-400:] if proc.returncode else None}


def _one_run(server: object, source: Path, name: str, batch: int,
             connections: int) -> dict[str, object]:
    """One migration with its verification into a fresh database; times and CPU used."""
    dsn = server.create_database(name)  # type: ignore[attr-defined]
    data_dir = server.data_dir  # type: ignore[attr-defined]
    src, dst = Endpoint("sqlite", str(source)), Endpoint("postgres", dsn)
    server_cpu0 = _server_cpu(data_dir)
    me0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # As `storeroom migrate run` does: the copy hashes the source as it reads it (C
    # accelerator built), or worker processes hash it while the copy runs.
    # PostgreSQL hashes each loaded table while its indexes are built.
    hashes = None if copy_hashes_source(src, dst) else SourceHashes(src, TABLES)
    early = EarlyTargetHashes(dst)
    try:
        result = run_copy(src, dst, TABLES, batch_rows=batch, on_loaded=early.loaded,
                          connections=connections)
        copy_s = time.perf_counter() - start
        v0 = time.perf_counter()
        report = verify(src, dst, TABLES, source_hashes=hashes, copied_hashes=result.source_hashes,
                        early_target=early)
        verify_s = time.perf_counter() - v0
        if hashes is not None:
            hashes.pool.shutdown(wait=True)  # reaped, so their CPU is counted below
    finally:
        early.close()
        if hashes is not None:
            hashes.close()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = sum(getattr(b, f) - getattr(a, f) for a, b in ((me0, me), (kids0, kids))
                     for f in ("ru_utime", "ru_stime"))
    return {"dsn": dsn, "result": result, "report": report, "copy_s": copy_s,
            "verify_s": verify_s, "total_s": copy_s + verify_s, "client_cpu": client_cpu,
            "server_cpu": _server_cpu(data_dir) - server_cpu0}


def _median(runs: list[dict[str, object]], key: str) -> float:
    return float(statistics.median(float(r[key]) for r in runs))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-source", action="store_true",
                        help="reuse the generated source database from a previous run")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH_ROWS)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS,
                        help="PostgreSQL connections loading the big table at once")
    parser.add_argument("--repeat", type=int, default=1,
                        help="migrations (each into a fresh database) to take medians over")
    parser.add_argument("--cold", action="store_true",
                        help="do not read the source once before each migration (this kind of "
                             "machine evicts page cache quickly, so 'cold' varies run to run)")
    parser.add_argument("--no-pgloader", action="store_true", help="do not run pgloader side by side")
    parser.add_argument("--pgloader-heap-mb", type=int, default=8192,
                        help="pgloader's --dynamic-space-size in MB (default 8192; its own default, "
                             "1 GB here, runs out at 1M rows: 'Heap exhausted, game over')")
    args = parser.parse_args()

    from services import PostgresServer

    t0 = time.perf_counter()
    source = _source(args.rows, args.keep_source)
    generate_s = time.perf_counter() - t0
    with PostgresServer() as server:
        server.start()
        settings = _server_settings(server.create_database("bench_settings"))
        runs = []
        for i in range(args.repeat):
            if runs:
                server.drop_database(f"bench{i - 1}")  # keep the disk use to one copy
            warm_s = None if args.cold else _warm(source)
            runs.append({**_one_run(server, source, f"bench{i}", args.batch, args.connections), "warm_s": warm_s})
        last = runs[-1]
        dsn = last["dsn"]
        read_floor = _read_floor(source)
        server_floor = _server_floor(dsn)
        ingest_floor = _server_floor(dsn, reparse=True)
        children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # before pgloader's
        pgloader = (_pgloader(source, server.create_database("bench_pgloader"), args.pgloader_heap_mb)
                    if not args.no_pgloader else {"status": "skipped (--no-pgloader)"})
    result = last["result"]
    copy_s, verify_s, total_s = (_median(runs, k) for k in ("copy_s", "verify_s", "total_s"))
    client_cpu, server_cpu = _median(runs, "client_cpu"), _median(runs, "server_cpu")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = sum(result.rows.values())
    scale = result.rows.get("run_logs", 0) / 1_000_000
    print(json.dumps({
        "rows": {"run_logs": result.rows.get("run_logs"), "all_tables": rows},
        "source_read_once_before": not args.cold,
        "source_warm_read_seconds": [None if r["warm_s"] is None else round(r["warm_s"], 2) for r in runs],
        "source_mb": round(source.stat().st_size / 2**20, 1),
        "generate_seconds": round(generate_s, 2),
        "copy_seconds": round(copy_s, 2),
        "verify_seconds_after_copy": round(verify_s, 2),
        "total_seconds": round(total_s, 2),
        "rows_per_s": round(rows / total_s),
        "copy_rows_per_s": round(rows / copy_s),
        "runs": len(runs),
        "connections": args.connections,
        "total_seconds_each_run": [round(float(r["total_s"]), 2) for r in runs],  # type: ignore[arg-type]
        "verified": all(r["report"].ok for r in runs),  # type: ignore[attr-defined]
        "quarantined": result.quarantined,
        # The targets are for 1M runs; smaller runs are compared pro rata.
        "target_seconds": round(TARGET_SECONDS * scale, 2),
        "vs_target": round(total_s / (TARGET_SECONDS * scale), 2),
        "speedup_vs_pgloader_reference": round(PGLOADER_REFERENCE_S * scale / total_s, 2),
        # The target proper: >= 1.75x pgloader with CAST rules, same data, same run.
        "speedup_vs_pgloader_measured": (round(float(pgloader["seconds"]) / total_s, 2)  # type: ignore[arg-type]
                                         if pgloader.get("exit_code") == 0
                                         and pgloader.get("run_logs_rows") == result.rows.get("run_logs") else None),
        "target_speedup_vs_pgloader": 1.75,
        "floors": {"sqlite_read_run_logs_seconds": round(read_floor, 2),
                   "postgres_rewrite_run_logs_seconds": round(server_floor, 2),
                   "postgres_rewrite_reparsing_jsonb_seconds": round(ingest_floor, 2)},
        # Load-independent views: our time in units of the server's own rewrite of the
        # table (same run, same load), and the CPU the client and the server used.
        "total_vs_postgres_rewrite_floor": round(total_s / server_floor, 2),
        "total_vs_jsonb_reparse_floor": round(total_s / ingest_floor, 2),
        "client_cpu_seconds_incl_verify_workers": round(client_cpu, 1),
        "server_cpu_seconds_copy_and_verify": round(server_cpu, 1),
        "cpu_seconds_total_per_core": round((client_cpu + server_cpu) / (os.cpu_count() or 1), 1),
        # The throwaway server runs like the tests' (tests/services.py): fsync off, so
        # commits cost no disk flush; the floors above ran on the same server.
        "postgres_settings": settings,
        "client_rss_mb": round(rss_mb, 1),
        "verify_workers_max_rss_mb": round(children_mb, 1),
        "target_rss_mb": TARGET_RSS_MB,
        "pgloader": pgloader,
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }, indent=2))


if __name__ == "__main__":
    main()
