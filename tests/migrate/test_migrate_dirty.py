"""Dirty source data: every bad row is planned, quarantined with its exact reason; the rest
migrates and verifies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
from migrate_fixtures import assert_tally_exact, pg_ep, sqlite_ep

from backend.migrate.copy import run_copy
from backend.migrate.plan import make_plan
from backend.migrate.tables import TABLES
from backend.migrate.verify import SourceHashes, verify

GOOD = "'wf', 1, 'success', '2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:01.000000+00:00', 5"
# (category, run_id, the INSERT's values) - one row per category the plan must find
BAD = [
    ("nul_text", "00000000-0000-4000-8000-000000000001",
     f"{GOOD}, 'bad' || char(0) || 'byte', '{{}}'", "error", "NUL byte at offset 3"),
    ("invalid_utf8", "00000000-0000-4000-8000-000000000002",
     "CAST(x'77668099' AS TEXT), 1, 'success', '2026-01-01T00:00:00.000000+00:00',"
     " '2026-01-01T00:00:01.000000+00:00', 5, NULL, '{}'", "workflow_id", "invalid UTF-8 at byte 2"),
    ("malformed_json", "00000000-0000-4000-8000-000000000003",
     f"{GOOD}, NULL, '{{\"a\": '", "payload", "malformed JSON: Expecting value"),
    ("nul_json", "00000000-0000-4000-8000-000000000004",
     f"{GOOD}, NULL, '{{\"a\":\"x\\u0000y\"}}'", "payload", "\\u0000 escape in JSON"),
    ("non_integer", "00000000-0000-4000-8000-000000000005",
     "'wf', 'two', 'success', '2026-01-01T00:00:00.000000+00:00',"
     " '2026-01-01T00:00:01.000000+00:00', 5, NULL, '{}'", "workflow_version",
     "not an integer: b'two'"),
    ("bad_timestamp", "00000000-0000-4000-8000-000000000006",
     "'wf', 1, 'success', 'yesterday', '2026-01-01T00:00:01.000000+00:00', 5, NULL, '{}'",
     "started_at", "unparsable timestamp: b'yesterday'"),
]


def _dirty(source: Path) -> None:
    conn = sqlite3.connect(source, isolation_level=None)
    cols = "(run_id, workflow_id, workflow_version, status, started_at, finished_at, duration_ms, error, payload)"
    for _cat, run_id, values, _col, _reason in BAD:
        conn.execute(f"INSERT INTO run_logs {cols} VALUES ('{run_id}', {values})")  # noqa: S608
    conn.execute(f"INSERT INTO run_logs {cols} VALUES ('not-a-uuid', {GOOD}, NULL, '{{}}')")  # noqa: S608
    # CHECKs hold in SQLite too; an older file may still break them.
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(f"INSERT INTO run_logs {cols} VALUES ('00000000-0000-4000-8000-000000000009',"  # noqa: S608
                 " 'wf', 1, 'bogus', '2026-01-01T00:00:00.000000+00:00',"
                 " '2026-01-01T00:00:01.000000+00:00', 5, NULL, '{}')")
    conn.close()


def test_plan_counts_every_category_with_examples(source_db: Path, postgres_dsn: str) -> None:
    _dirty(source_db)
    plan = make_plan(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    found = {p.category: p for p in plan.problems}
    for category, run_id, _values, column, reason in BAD:
        assert found[category].count == 1, category
        assert run_id in found[category].examples[0]
        assert f"{column}: {reason}" in found[category].examples[0]
    assert found["bad_uuid"].count == 1 and "not a UUID" in found["bad_uuid"].examples[0]
    assert found["check"].count == 1 and "status IN" in found["check"].examples[0]
    assert plan.reachable and plan.target_state.kind == "empty"
    assert next(t for t in plan.tables if t.table == "run_logs").bad_rows == 8
    assert any("quarantined" in w for w in plan.warnings)


def test_bad_rows_are_quarantined_with_reasons_and_the_rest_verifies(source_db: Path,
                                                                    postgres_dsn: str) -> None:
    _dirty(source_db)
    result = run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES, batch_rows=50)
    assert result.status == "completed-with-quarantine"
    assert result.quarantined == 8
    assert "completed with 8 quarantined" in result.summary
    assert result.rows["run_logs"] == 400  # every good row went

    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT row_id, column_name, category, reason FROM"
                            " storeroom_migration_quarantine ORDER BY id").fetchall()
        assert conn.execute("SELECT count(*) FROM run_logs").fetchone()[0] == 400
    by_id = {r[0]: r for r in rows}
    for category, run_id, _values, column, reason in BAD:
        row = by_id[f"run_id={run_id}"]
        assert (row[1], row[2]) == (column, category)
        assert row[3].startswith(reason), row
    assert by_id["run_id=not-a-uuid"][2] == "bad_uuid"
    check = by_id["run_id=00000000-0000-4000-8000-000000000009"]
    assert check[2] == "rejected" and "violates check constraint" in check[3]

    report = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    run_logs = next(t for t in report.tables if t.table == "run_logs")
    assert report.ok, [t.verdict for t in report.tables]
    assert run_logs.quarantined == 8 and run_logs.source_rows == 408
    # the copy's own tally of the source counts the bad rows too, exactly as verify does
    assert_tally_exact(source_db, result, expect={t.name for t in TABLES})
    tallied = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES,
                     copied_hashes=result.source_hashes)
    assert tallied.ok and tallied.as_dict()["tables"] == report.as_dict()["tables"]

    # The same with the source hashed up front in worker processes (as a big run does):
    # every row is hashed, bad bytes included, and the quarantined ones subtracted.
    hashes = SourceHashes(sqlite_ep(source_db), TABLES)
    try:
        again = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES, source_hashes=hashes)
    finally:
        hashes.close()
    assert again.ok and [t.source_hash for t in again.tables] == [t.source_hash for t in report.tables]
