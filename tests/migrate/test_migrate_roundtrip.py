"""SQLite -> PostgreSQL -> SQLite: typed schema, equal data both ways, guarded targets."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest
from migrate_fixtures import pg_ep, sqlite_ep

from backend.errors import Conflict
from backend.migrate.copy import run_copy
from backend.migrate.tables import TABLES
from backend.migrate.verify import verify


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every row; JSON parsed (jsonb keeps no key order, so the text may be reordered)."""
    conn = sqlite3.connect(path)
    out = {}
    try:
        for t in TABLES:
            rows = conn.execute(f"SELECT {', '.join(t.column_names)} FROM {t.name}").fetchall()  # noqa: S608
            kinds = [c.type for c in t.columns]
            out[t.name] = sorted((tuple(json.loads(v) if k == "jsonb" and v is not None else v
                                        for k, v in zip(kinds, row, strict=True))
                                  for row in rows), key=repr)
    finally:
        conn.close()
    return out


def test_sqlite_to_postgres_to_sqlite_gives_equal_data(source_db: Path, postgres_dsn: str,
                                                      tmp_path: Path) -> None:
    result = run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES, batch_rows=97)
    assert result.status == "completed" and result.quarantined == 0
    assert result.rows["run_logs"] == 400 and result.rows["audit"] == 20
    assert verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES).ok

    back = tmp_path / "back.db"
    result = run_copy(pg_ep(postgres_dsn), sqlite_ep(back), TABLES, batch_rows=101)
    assert result.status == "completed"
    report = verify(pg_ep(postgres_dsn), sqlite_ep(back), TABLES)
    assert report.ok, [t.verdict for t in report.tables]
    assert _dump(back) == _dump(source_db)


def test_target_schema_is_typed_with_keys_indexes_and_sequences(source_db: Path,
                                                               postgres_dsn: str) -> None:
    run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        types = dict(conn.execute(
            "SELECT column_name, data_type || ':' || is_nullable FROM information_schema.columns"
            " WHERE table_name = 'run_logs'").fetchall())
        assert types["run_id"] == "uuid:NO"
        assert types["started_at"] == "timestamp with time zone:NO"
        assert types["payload"] == "jsonb:NO"
        assert types["workflow_version"] == "integer:NO"
        assert types["error"] == "text:YES"
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
        assert {"run_logs_pkey", "run_logs_workflow", "audit_at", "patterns_fingerprint"} <= indexes
        # the identity sequence is past the largest copied id: a new row does not collide
        new_id = conn.execute(
            "INSERT INTO patterns (kind, fingerprint, description, evidence, detected_at)"
            " VALUES ('k', 'new', 'd', '{}', now()) RETURNING id").fetchone()[0]
        assert new_id == 6
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE run_logs SET status = 'bogus' WHERE true")
        version = conn.execute(
            "SELECT version FROM schema_versions WHERE component = 'storeroom'").fetchone()
        assert version is not None


def test_refuses_a_target_with_data_or_a_partial_run_from_elsewhere(source_db: Path,
                                                                   postgres_dsn: str,
                                                                   tmp_path: Path) -> None:
    run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    with pytest.raises(Conflict, match="finished"):
        run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    other = tmp_path / "other.db"
    other.write_bytes(source_db.read_bytes())
    with pytest.raises(Conflict, match="came from"):
        run_copy(sqlite_ep(other), pg_ep(postgres_dsn), TABLES, resume=True)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM run_logs").fetchone()[0] == 400
