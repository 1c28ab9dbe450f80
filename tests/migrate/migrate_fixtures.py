"""Fixtures for the migration tests: synthetic source databases and workspaces."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backend.migrate.endpoints import Endpoint
from backend.migrate.synth import create_source


@pytest.fixture
def source_db(tmp_path: Path) -> Path:
    """A SQLite database with 400 runs (small payloads), metrics, patterns and audit rows."""
    return create_source(tmp_path / "source.db", 400, payload_bytes=300)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace (fixed name) whose storeroom.db holds 300 runs and the rest."""
    from backend.workspace import init_workspace

    root = init_workspace(tmp_path / "ws")
    config = root / "storeroom.yaml"
    config.write_text("# my storeroom\nworkspace:\n  name: demo   # shown in the header\n"
                      + config.read_text(encoding="utf-8"), encoding="utf-8")
    create_source(root / "storeroom.db", 300, payload_bytes=300)
    return root


def sqlite_ep(path: Path) -> Endpoint:
    return Endpoint("sqlite", str(path))


def pg_ep(dsn: str) -> Endpoint:
    return Endpoint("postgres", dsn)


def insert_raw(path: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def assert_tally_exact(source: Path, result: object, *, expect: set[str] | None = None) -> None:
    """The copy's own source hashes (``CopyResult.source_hashes``) equal a full hash of
    each table; ``expect``: exactly these tables were tallied (read whole by that run)."""
    from backend.migrate.sides import SqliteSide, _canon
    from backend.migrate.tables import TABLES_BY_NAME

    tallied = result.source_hashes  # type: ignore[attr-defined]
    if _canon is None:
        assert tallied == {}
        return
    if expect is not None:
        assert set(tallied) == expect
    side = SqliteSide(source)
    try:
        for name, sums in tallied.items():
            assert sums == side.table_hash(TABLES_BY_NAME[name]), name
    finally:
        side.close()
