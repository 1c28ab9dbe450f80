"""Two connections load a table, commits strictly in batch order: the connection holding
batch k dies while batch k+1 is already sent on the other one, and nothing is lost or
doubled."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest
from migrate_fixtures import assert_tally_exact, pg_ep, sqlite_ep

from backend.errors import BackendUnavailable
from backend.migrate.copy import run_copy
from backend.migrate.lanes import OrderedLoad
from backend.migrate.progress import Progress
from backend.migrate.synth import create_source
from backend.migrate.tables import TABLES
from backend.migrate.verify import verify

ROWS, BATCH = 1500, 100
LOCK = 7207  # the advisory lock the first row of batch k waits for


def _nth_run_id(source: Path, n: int) -> str:
    conn = sqlite3.connect(source)
    try:
        return conn.execute("SELECT run_id FROM run_logs ORDER BY rowid LIMIT 1 OFFSET ?",
                            (n,)).fetchone()[0]
    finally:
        conn.close()


def _stall_batch(dsn: str, run_id: str) -> object:
    """A progress callback that, before the first batch, makes the row ``run_id`` wait
    (once) for an advisory lock held by the test: its batch stays half-sent."""
    def tick(p: Progress) -> None:
        if p.phase != "copy" or p.done:
            return
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE SEQUENCE IF NOT EXISTS stall_once")
            conn.execute(
                "CREATE OR REPLACE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.run_id = '{run_id}' AND nextval('stall_once') = 1 THEN "
                f"PERFORM pg_advisory_lock({LOCK}); PERFORM pg_advisory_unlock({LOCK}); "
                "END IF; RETURN NEW; END $$")
            conn.execute("CREATE TRIGGER stall BEFORE INSERT ON run_logs FOR EACH ROW "
                         "EXECUTE FUNCTION stall()")
    return tick


def _kill_stalled_lane(dsn: str, holder: psycopg.Connection) -> dict[str, object]:
    """Wait until batch k is stalled on one connection and batch k+1 fully sent on the
    other (idle in its open transaction), then terminate the stalled one."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = holder.execute(
            "SELECT pid, state, wait_event_type, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
        stalled = [r[0] for r in rows if r[2] == "Lock" and "COPY run_logs" in r[3]]
        sent = [r[0] for r in rows if r[1] == "idle in transaction" and "COPY run_logs" in r[3]]
        if stalled and sent:
            holder.execute("SELECT pg_terminate_backend(%s)", (stalled[0],))
            return {"stalled": stalled[0], "sent": sent[0]}
        time.sleep(0.01)
    raise AssertionError(f"never saw batch k stalled with k+1 sent: {rows}")


def _copy_in_thread(source: Path, dsn: str, k: int, **kwargs: object) -> tuple[dict, threading.Thread]:
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["result"] = run_copy(sqlite_ep(source), pg_ep(dsn), TABLES, batch_rows=BATCH,
                                     progress=_stall_batch(dsn, _nth_run_id(source, k * BATCH)),
                                     **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the test asserts on it
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return out, thread


@pytest.mark.parametrize("k", [4, 5], ids=["k-on-first-connection", "k-on-second-connection"])
def test_lost_connection_of_batch_k_discards_sent_k_plus_1_and_resumes_exactly(
        tmp_path: Path, postgres_dsn: str, k: int) -> None:
    source = create_source(tmp_path / "src.db", ROWS, payload_bytes=200)
    with psycopg.connect(postgres_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK,))
        out, thread = _copy_in_thread(source, postgres_dsn, k, retry_wait=0.2)
        killed = _kill_stalled_lane(postgres_dsn, holder)
        holder.execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
        thread.join(60)
    assert killed["stalled"] != killed["sent"]
    assert "error" not in out, out.get("error")
    result = out["result"]
    assert result.status == "completed" and result.rows["run_logs"] == ROWS
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        count, distinct = conn.execute("SELECT count(*), count(DISTINCT run_id) FROM run_logs").fetchone()
    assert count == distinct == ROWS
    assert_tally_exact(source, result, expect={t.name for t in TABLES})
    report = verify(sqlite_ep(source), pg_ep(postgres_dsn), TABLES,
                    copied_hashes=result.source_hashes)
    assert report.ok, [t.verdict for t in report.tables]


def test_without_retries_the_target_holds_exactly_the_batches_before_k(
        tmp_path: Path, postgres_dsn: str) -> None:
    k = 5  # batches 0..4 commit; k stalls and dies; k+1 was sent, never committed
    source = create_source(tmp_path / "src.db", ROWS, payload_bytes=200)
    with psycopg.connect(postgres_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK,))
        out, thread = _copy_in_thread(source, postgres_dsn, k, retries=0)
        _kill_stalled_lane(postgres_dsn, holder)
        holder.execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
        thread.join(60)
        assert isinstance(out.get("error"), BackendUnavailable), out
        count = holder.execute("SELECT count(*) FROM run_logs").fetchone()[0]
        last_key, copied = holder.execute(
            "SELECT last_key, rows_copied FROM storeroom_migration_checkpoints"
            " WHERE table_name = 'run_logs'").fetchone()
        idle = holder.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                              "current_database() AND state LIKE 'idle in transaction%'").fetchone()[0]
    assert count == copied == k * BATCH
    assert int(last_key) == k * BATCH  # rowids 1..500: the checkpoint names that prefix
    assert idle == 0  # the sent batch k+1 was rolled back, not left open
    result = run_copy(sqlite_ep(source), pg_ep(postgres_dsn), TABLES, resume=True)
    assert result.status == "completed" and result.rows["run_logs"] == ROWS
    assert result.resumed_from["run_logs"] == k * BATCH
    report = verify(sqlite_ep(source), pg_ep(postgres_dsn), TABLES)
    assert report.ok, [t.verdict for t in report.tables]


class _Lane:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def rollback(self) -> None:
        self.log.append(f"rollback {self.name}")


def _ordered_load(log: list[str], fail: int | None = None) -> tuple[OrderedLoad, list[_Lane]]:
    """Even batches (lane a) end their send only after the next odd one (lane b) has."""
    lanes = [_Lane("a", log), _Lane("b", log)]
    sent = {i: threading.Event() for i in range(6)}

    def stage(lane: _Lane, batch: int) -> int:
        if batch % 2 == 0:
            assert sent[batch + 1].wait(5)
        log.append(f"sent {batch} on {lane.name}")
        sent[batch].set()
        if batch == fail:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return batch

    def commit(lane: _Lane, batch: int, staged: int) -> None:
        assert staged == batch
        log.append(f"commit {batch} on {lane.name}")

    return OrderedLoad(lanes, stage, commit), lanes


def test_commits_follow_batch_order_whatever_order_the_sends_end_in() -> None:
    log: list[str] = []
    load, _lanes = _ordered_load(log)
    with load:
        for batch in range(6):
            load.put(batch)
        load.drain()
    assert [line for line in log if line.startswith("commit")] == [
        f"commit {i} on {'ab'[i % 2]}" for i in range(6)]
    for k in (0, 2, 4):  # k+1 was sent before k, and still committed after it
        assert (log.index(f"sent {k + 1} on b") < log.index(f"sent {k} on a")
                < log.index(f"commit {k} on a") < log.index(f"commit {k + 1} on b"))


def test_a_failed_send_of_batch_k_leaves_k_plus_1_uncommitted_and_rolls_back() -> None:
    log: list[str] = []
    load, _lanes = _ordered_load(log, fail=2)
    with pytest.raises(psycopg.OperationalError), load:
        for batch in range(6):
            load.put(batch)
        load.drain()
    assert "sent 3 on b" in log  # k+1 was fully sent ...
    assert [line for line in log if line.startswith("commit")] == ["commit 0 on a", "commit 1 on b"]
    assert log[-2:] == ["rollback a", "rollback b"]  # ... and discarded with k
