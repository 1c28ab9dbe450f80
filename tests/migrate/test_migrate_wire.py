"""The C binary-COPY encoder: it gives PostgreSQL exactly what the Python path gives it,
leaves every unusual value to the Python checks, and converts timestamps exactly."""

from __future__ import annotations

import sqlite3
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from migrate_fixtures import pg_ep, sqlite_ep
from test_migrate_dirty import _dirty

from backend.migrate import wire
from backend.migrate.copy import run_copy
from backend.migrate.tables import TABLES, TABLES_BY_NAME

needs_native = pytest.mark.skipif(
    wire._pgcopy is None, reason="the C accelerator backend/migrate/_pgcopy.c is not built: "
    "install gcc and the Python headers (apt install gcc python3-dev), then `make setup`")

COLS = ("run_id, workflow_id, workflow_version, status, started_at, finished_at, duration_ms,"
        " error, payload")
# Valid rows in spellings the C code leaves to Python, and plain ones it takes.
UNUSUAL = [
    ("AAAAAAAA-0000-4000-8000-0000000000a1", "wf-é", 2, "failure",
     "2026-01-01T02:00:00+02:00", "2026-01-01T00:00:01.5+00:00", 1500, "boom\n\ttab",
     '{"b":1,"a":[1.50,-0,1e2,"\\u00e9\\n"],"a":2}'),
    ("{00000000-0000-4000-8000-0000000000a2}", "wf", 1, "success",
     "2024-02-29T23:59:59.999999+00:00", "2024-03-01T00:00:00.000000+00:00", 0, None,
     '{"ok":true,"nested":{"zz":null,"y":"\\ud83d\\ude00"}}'),
    ("00000000-0000-4000-8000-0000000000a3", "wf", 1, "timeout",
     "0001-01-01T00:00:00.000000+00:00", "9999-12-31T23:59:59.999999+00:00", 7, "",
     '{"x":"\\\\u0000 is text here"}'),
]


def _table_rows(dsn: str) -> dict[str, list[tuple]]:
    out = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for t in TABLES:
            cols = ", ".join(f"{c.name}::text" for c in t.columns)
            keys = ", ".join(t.primary_key)
            out[t.name] = conn.execute(f"SELECT {cols} FROM {t.name} ORDER BY {keys}").fetchall()  # noqa: S608
        out["quarantine"] = conn.execute(
            "SELECT table_name, row_id, column_name, category, reason FROM"
            " storeroom_migration_quarantine ORDER BY table_name, row_id").fetchall()
    return out


def _rows(data: bytes) -> list[list[bytes | None]]:
    """Binary COPY rows -> each row's fields (None for NULL)."""
    rows, at = [], 0
    while at < len(data):
        (count,) = struct.unpack_from(">h", data, at)
        at += 2
        row = []
        for _ in range(count):
            (size,) = struct.unpack_from(">i", data, at)
            at += 4
            row.append(None if size < 0 else data[at:at + size])
            at += max(size, 0)
        rows.append(row)
    return rows


@needs_native
def test_native_copy_is_built() -> None:
    assert wire.batch_encoder(TABLES_BY_NAME["run_logs"]) is not None


@needs_native
def test_c_and_python_paths_give_postgresql_the_same_rows(
        source_db: Path, postgres_server, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _dirty(source_db)
    conn = sqlite3.connect(source_db, isolation_level=None)
    conn.executemany(f"INSERT INTO run_logs ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", UNUSUAL)  # noqa: S608
    conn.close()

    native = run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES, batch_rows=64)
    python_dsn = postgres_server.create_database("wire_python_path")
    try:
        monkeypatch.setattr(wire, "batch_encoder", lambda table: None)
        python = run_copy(sqlite_ep(source_db), pg_ep(python_dsn), TABLES, batch_rows=64)
        assert (native.rows, native.quarantined) == (python.rows, python.quarantined)
        assert native.quarantined == 8  # the dirty rows, each quarantined either way
        ours, reference = _table_rows(postgres_dsn), _table_rows(python_dsn)
    finally:
        postgres_server.drop_database("wire_python_path")
    for name in ours:
        assert ours[name] == reference[name], name
    assert len(ours["run_logs"]) == 403


@needs_native
def test_timestamps_convert_exactly_and_impossible_dates_are_left_to_python() -> None:
    enc = wire.batch_encoder(TABLES_BY_NAME["audit"])
    assert enc is not None
    stamps = [datetime(2000, 1, 1, tzinfo=UTC), datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
              datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
              datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(2100, 3, 1, tzinfo=UTC)]
    rows = [(n, ts.isoformat(timespec="microseconds").encode(), b"me", b"a", b"t", None, None, None)
            for n, ts in enumerate(stamps, 1)]
    data, slow = enc.encode_raw(rows)
    assert slow == []
    decoded = _rows(data)
    assert [r[2:5] for r in decoded] == [[b"me", b"a", b"t"]] * len(stamps)
    for ts, row in zip(stamps, decoded, strict=True):
        (micros,) = struct.unpack(">q", row[1])
        assert micros == (ts - datetime(2000, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    bad = [b"2023-02-29T00:00:00.000000+00:00", b"2026-13-01T00:00:00.000000+00:00",
           b"2026-01-01T24:00:00.000000+00:00", b"2026-01-01T00:00:60.000000+00:00",
           b"2026-01-01 00:00:00.000000+00:00", b"2026-01-01T00:00:00.000000+01:00",
           b"2026-01-01T00:00:00.00000x+00:00"]
    _data, slow = enc.encode_raw([(1, b, b"me", b"a", b"t", None, None, None) for b in bad])
    assert slow == list(range(len(bad)))


def test_c_row_hashes_equal_the_python_aggregate(source_db: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.migrate import sides

    if sides._canon is None:
        pytest.skip("the C accelerator backend/migrate/_canon.c is not built: install gcc and "
                    "the Python headers (apt install gcc python3-dev), then `make setup`")
    _dirty(source_db)
    conn = sqlite3.connect(source_db, isolation_level=None)
    conn.executemany(f"INSERT INTO run_logs ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", UNUSUAL)  # noqa: S608
    conn.close()
    side = sides.SqliteSide(source_db)
    try:
        native = {t.name: side.table_hash(t) for t in TABLES}
        monkeypatch.setattr(sides, "_canon", None)
        python = {t.name: side.table_hash(t) for t in TABLES}
    finally:
        side.close()
    assert native == python
    assert native["run_logs"][0] == 400 + 8 + len(UNUSUAL)
