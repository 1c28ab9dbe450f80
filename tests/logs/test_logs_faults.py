"""Faults: PostgreSQL down, hung or killed mid-batch; SQLite locked by another process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psycopg
import pytest
from logs_support import a_run, make_ws, sample_runs

from backend.errors import BackendUnavailable, StorageError
from backend.logs import LogFilter


def test_postgres_down_at_open_fails_fast(tmp_path, postgres_server, postgres_dsn):
    postgres_server.stop()
    ws = make_ws(tmp_path / "ws", "postgres", postgres_dsn)
    t0 = time.perf_counter()
    with pytest.raises(BackendUnavailable, match="PostgreSQL unavailable") as info:
        ws.logs  # noqa: B018 - opening is the act under test
    assert time.perf_counter() - t0 < 1.5
    assert "secret" not in str(info.value)
    ws.close()


def test_postgres_hung_at_open_fails_within_timeout(tmp_path, postgres_server, postgres_dsn):
    postgres_server.hang()
    try:
        ws = make_ws(tmp_path / "ws", "postgres", postgres_dsn)
        t0 = time.perf_counter()
        with pytest.raises(BackendUnavailable, match="did not answer"):
            ws.metrics  # noqa: B018
        assert time.perf_counter() - t0 < 1.5
        ws.close()
    finally:
        postgres_server.resume()


def test_postgres_killed_mid_batch_writes_nothing(tmp_path, postgres_server, postgres_dsn):
    ws = make_ws(tmp_path / "ws", "postgres", postgres_dsn)
    ws.logs.store_logs(sample_runs(200, seed=1))
    before = ws.metrics.get_summary("support-ticket-router")
    batch = sample_runs(3000, seed=2)
    # Hold a lock the batch needs after its COPY into run_logs, so it is surely
    # mid-transaction (rows sent, nothing committed) when the server dies.
    blocker = psycopg.connect(postgres_dsn)
    blocker.execute("LOCK TABLE metric_summaries IN EXCLUSIVE MODE")
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            ws.logs.store_logs(batch)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            errors.append(exc)

    worker = threading.Thread(target=ingest)
    worker.start()
    watcher = psycopg.connect(postgres_dsn, autocommit=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        waiting = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()[0]
        if waiting:
            break
        time.sleep(0.02)
    assert waiting, "the batch never reached the aggregates"
    postgres_server.kill()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert errors and isinstance(errors[0], StorageError)
    assert isinstance(errors[0], BackendUnavailable), errors[0]
    for conn in (blocker, watcher):
        conn.close()
    postgres_server.start()
    # The pool reconnects by itself; nothing of the batch is there, the old data is.
    assert ws.logs.count() == 200
    assert ws.logs.count(LogFilter(workflow_id="support-ticket-router")) == before.executions
    assert ws.metrics.get_summary("support-ticket-router") == before
    assert ws.logs.store_logs(batch) == 3000
    assert ws.logs.count() == 3200
    ws.close()


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("CREATE TABLE IF NOT EXISTS _lock_probe (x)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _hold_lock(path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_sqlite_locked_by_other_process_waits_then_errors(tmp_path):
    ws = make_ws(tmp_path / "ws", "sqlite", busy_timeout="400ms")
    ws.logs.store_log(a_run())
    proc = _hold_lock(ws.sqlite_path, 30)
    try:
        t0 = time.perf_counter()
        with pytest.raises(BackendUnavailable, match="locked by another process") as info:
            ws.logs.store_log(a_run())
        waited = time.perf_counter() - t0
        assert 0.35 <= waited < 3.0
        assert "busy_timeout" in str(info.value)
        assert ws.logs.count() == 1  # reads go on meanwhile (WAL)
    finally:
        proc.kill()
        proc.wait()
    ws.logs.store_log(a_run())
    assert ws.logs.count() == 2
    ws.close()


def test_sqlite_lock_released_within_timeout_just_waits(tmp_path):
    ws = make_ws(tmp_path / "ws", "sqlite", busy_timeout="5s")
    ws.logs.store_log(a_run())
    proc = _hold_lock(ws.sqlite_path, 0.4)
    try:
        t0 = time.perf_counter()
        ws.logs.store_log(a_run())
        assert time.perf_counter() - t0 >= 0.2
    finally:
        proc.wait(timeout=10)
    assert ws.logs.count() == 2
    ws.close()
