"""Read-ahead of the copy: order kept, errors reach the writer, leaving stops the reader;
and a copy whose target refuses mid-table leaves no reader behind and resumes exactly."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from migrate_fixtures import pg_ep, sqlite_ep

from backend.migrate.copy import run_copy
from backend.migrate.prefetch import ReadAhead
from backend.migrate.tables import TABLES
from backend.migrate.verify import verify


def test_items_arrive_in_order_and_source_errors_are_raised_in_the_consumer() -> None:
    def source() -> Iterator[int]:
        yield from range(50)
        raise OSError("disk went away")

    seen = []
    with pytest.raises(OSError, match="disk went away"), ReadAhead(source(), depth=3) as items:
        for item in items:
            seen.append(item)
    assert seen == list(range(50))


def test_leaving_early_stops_the_reader_and_runs_its_cleanup() -> None:
    produced, closed = [], threading.Event()

    def source() -> Iterator[int]:
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    reader = ReadAhead(source(), depth=2)
    with reader as items:
        assert next(items) == 0
    assert closed.is_set()
    assert not reader._thread.is_alive()
    assert len(produced) <= 5  # bounded read-ahead, not the whole source


def test_a_failed_batch_stops_reading_and_a_resume_copies_each_row_once(
        source_db: Path, postgres_dsn: str) -> None:
    before = threading.active_count()
    conn = sqlite3.connect(source_db)
    row_121 = conn.execute("SELECT run_id FROM run_logs ORDER BY rowid LIMIT 1 OFFSET 120").fetchone()[0]
    conn.close()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        # Fails the COPY at the 121st row: an error that is not a lost connection, in the
        # middle of the table, while the reader is ahead (and, with two connections, the
        # next batch possibly sent). The row, not a count(*), marks the spot: a count
        # would see only what other connections have committed so far.
        conn.execute("CREATE TABLE run_logs_gate (open boolean)")
        conn.execute(
            "CREATE FUNCTION stop_at_120() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
            f"IF NEW.run_id = '{row_121}' AND NOT EXISTS (SELECT 1 FROM "
            "run_logs_gate) THEN RAISE EXCEPTION 'gate closed'; END IF; RETURN NEW; END $$")
    src, dst = sqlite_ep(source_db), pg_ep(postgres_dsn)
    # The copy creates run_logs itself; add the trigger once the table exists.
    calls = {"n": 0}

    def progress(_: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            with psycopg.connect(postgres_dsn, autocommit=True) as conn:
                conn.execute("CREATE TRIGGER gate BEFORE INSERT ON run_logs FOR EACH ROW "
                             "EXECUTE FUNCTION stop_at_120()")

    with pytest.raises(psycopg.Error, match="gate closed"):
        run_copy(src, dst, TABLES, batch_rows=40, progress=progress)
    assert threading.active_count() == before  # the reader thread is gone
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM run_logs").fetchone()[0] == 120
        conn.execute("INSERT INTO run_logs_gate VALUES (true)")
    result = run_copy(src, dst, TABLES, resume=True, batch_rows=40)
    assert result.rows["run_logs"] == 400
    assert verify(src, dst, TABLES).ok
