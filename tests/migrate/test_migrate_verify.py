"""Verification: one changed byte in one row is caught and the table is named; the canonical
JSON text computed in Python equals PostgreSQL's jsonb text."""

from __future__ import annotations

import random
from pathlib import Path

import psycopg
import pytest
from migrate_fixtures import pg_ep, sqlite_ep

from backend.migrate import canon
from backend.migrate.canon import compact_json, pg_json_text, pg_json_text_py
from backend.migrate.copy import run_copy
from backend.migrate.tables import TABLES
from backend.migrate.verify import verify


@pytest.mark.parametrize(("table", "change"), [
    ("run_logs", "UPDATE run_logs SET workflow_id = 'wf-X' WHERE run_id = "
                 "(SELECT run_id FROM run_logs ORDER BY run_id LIMIT 1 OFFSET 17)"),
    ("run_logs", "UPDATE run_logs SET payload = jsonb_set(payload, '{inputs,locale}', '\"en-GC\"')"
                 " WHERE run_id = (SELECT run_id FROM run_logs ORDER BY run_id LIMIT 1 OFFSET 3)"),
    ("audit", "UPDATE audit SET at = at + interval '1 microsecond' WHERE id = 7"),
    ("metric_buckets", "UPDATE metric_buckets SET count = count + 1 WHERE (workflow_id,"
                       " workflow_version, bucket) = (SELECT workflow_id, workflow_version, bucket"
                       " FROM metric_buckets ORDER BY 1, 2, 3 LIMIT 1)"),
])
def test_verify_names_the_table_with_one_changed_value(source_db: Path, postgres_dsn: str,
                                                        table: str, change: str) -> None:
    run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    assert verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES).ok
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        assert conn.execute(change).rowcount == 1
    report = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    assert not report.ok
    assert report.failed_tables == [table]
    bad = next(t for t in report.tables if t.table == table)
    assert "hash differs" in bad.verdict


def test_verify_catches_a_missing_row(source_db: Path, postgres_dsn: str) -> None:
    run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM patterns WHERE id = 3")
    report = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    assert report.failed_tables == ["patterns"]
    assert "count differs" in next(t for t in report.tables if t.table == "patterns").verdict


TRICKY = [
    '{"b":1,"a":2,"ccc":3,"dd":4}',
    '{"a":1,"a":2}',
    '{"é":1,"zz":2,"e":3}',
    '[1, 1.50, -0, -0.0, 1e2, 1.5E-3, 12345678901234567890, 0.1, 1E+400]',
    '{"s":"tab\\there \\"q\\" \\\\ \\u00e9 \\u2028 \\ud83d\\ude00 \\u001f"}',
    '{"nested":{"zz":[{"y":null,"x":true}],"a":false},"":0}',
    '"just a string"', '42', 'null', '[]', '{}',
    # floats whose repr is an exponent, or not the text written; strings that look risky
    '[1e-05, 1e+16, 1e22, 0.0001, 0.00009, 2.5, -0.5, 0.30000000000000004, 123456789012345.6]',
    '{"step-0":"v1.0 -0 1e5","n":[-1.25, 10, -0.000, 99999999999999999999.0]}',
    '[' + '9' * 4400 + ', 1.5]',
]


@pytest.mark.parametrize("text", TRICKY)
def test_python_jsonb_text_matches_postgresql(postgres_dsn: str, text: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        expected = conn.execute("SELECT %s::jsonb::text", (text,)).fetchone()[0]
        assert pg_json_text(text) == expected  # the C accelerator where it applies
        assert pg_json_text_py(text) == expected  # the Python reference
        # and the compact form stored back in SQLite means the same jsonb
        again = conn.execute("SELECT %s::jsonb::text", (compact_json(expected),)).fetchone()[0]
        assert again == expected


def _random_json(rng: random.Random, depth: int = 0) -> str:
    """JSON text in many spellings: whitespace, escapes, duplicate keys, number forms."""
    pick = rng.random()
    if depth < 4 and pick < 0.3:
        keys = [rng.choice(["a", "b", "aa", "é", "", r"k\n", r"\u00e9", "zz", "ab", r"\"x"])
                for _ in range(rng.randrange(6))]
        members = [f'"{k}"{rng.choice(["", " "])}:{_random_json(rng, depth + 1)}' for k in keys]
        return "{" + rng.choice([",", ", ", " ,\n"]).join(members) + "}"
    if depth < 4 and pick < 0.5:
        return "[" + ",".join(_random_json(rng, depth + 1) for _ in range(rng.randrange(5))) + "]"
    if pick < 0.75:
        sign = rng.choice(["", "-"])
        whole = rng.choice(["0", "1", "12", "907", "10000000000000000000000"])
        frac = rng.choice(["", ".0", ".5", ".50", ".000", ".0012", ".30000000000000004"])
        exp = rng.choice(["", "", "e5", "E-3", "e+2", "e-12", "E0", "e22"])
        return sign + whole + frac + exp
    if pick < 0.9:
        parts = ["plain", r"\t", r"\n", r"\u001f", r"\u00e9", "é", r"\/", r"\\", r"\"",
                 r"\u2028", r"\ud83d\ude00", "😀"]
        return '"' + "".join(rng.choice(parts) for _ in range(rng.randrange(4))) + '"'
    return rng.choice(["true", "false", "null", " null "])


def test_native_jsonb_text_is_built() -> None:
    if canon._native_pg_json_text is None:
        pytest.skip("the C accelerator backend/migrate/_jsonb.c is not built: install gcc and "
                    "the Python headers (apt install gcc python3-dev), then `make setup`")


def test_native_jsonb_text_equals_the_python_reference() -> None:
    if canon._native_pg_json_text is None:
        pytest.skip("the C accelerator is not built (see test_native_jsonb_text_is_built)")
    rng = random.Random(5)
    handled = 0
    for _ in range(5000):
        text = _random_json(rng)
        native = canon._native_pg_json_text(text)
        if native is not None:
            handled += 1
            assert native == pg_json_text_py(text), text
    assert handled > 4000  # the accelerator really takes the common case


def test_random_json_texts_match_postgresql(postgres_dsn: str) -> None:
    rng = random.Random(11)
    texts = [_random_json(rng) for _ in range(300)]
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        for text in texts:
            expected = conn.execute("SELECT %s::jsonb::text", (text,)).fetchone()[0]
            assert pg_json_text(text) == expected, text


def test_target_hashes_taken_while_indexes_build_equal_a_later_pass(source_db: Path,
                                                                   postgres_dsn: str) -> None:
    from backend.migrate.sides import PgSide
    from backend.migrate.verify import EarlyTargetHashes

    early = EarlyTargetHashes(pg_ep(postgres_dsn))
    loaded: list[str] = []

    def on_loaded(table) -> None:  # noqa: ANN001
        loaded.append(table.name)
        early.loaded(table)

    try:
        run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES, on_loaded=on_loaded)
        assert loaded == [t.name for t in TABLES]
        side = PgSide(postgres_dsn)
        try:
            for table in TABLES:
                assert early.result(table) == side.table_hash(table), table.name
        finally:
            side.close()
        with_early = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES, early_target=early)
    finally:
        early.close()
    plain = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    assert with_early.ok and with_early.as_dict()["tables"] == plain.as_dict()["tables"]


def test_a_failed_early_hash_is_taken_again_by_verify(source_db: Path, postgres_dsn: str) -> None:
    from backend.migrate.verify import EarlyTargetHashes

    run_copy(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES)
    early = EarlyTargetHashes(pg_ep(postgres_dsn.replace("dbname=", "dbname=missing_")
                                    if "dbname=" in postgres_dsn else postgres_dsn + "_missing"))
    try:
        for table in TABLES:
            early.loaded(table)  # every one fails: the database does not exist
        assert all(early.result(t) is None for t in TABLES)
        report = verify(sqlite_ep(source_db), pg_ep(postgres_dsn), TABLES, early_target=early)
    finally:
        early.close()
    assert report.ok


def test_native_row_hashes_are_the_same_from_threads_at_once() -> None:
    """hash_rows parses without the GIL: two threads sorting object keys at the same time
    must not mix up each other's keys (each sorts with its own key buffer)."""
    from concurrent.futures import ThreadPoolExecutor

    from backend.migrate import sides
    from backend.migrate.tables import TABLES_BY_NAME, column_kinds

    if sides._canon is None:
        pytest.skip("the C accelerator is not built (see test_native_jsonb_text_is_built)")
    rng = random.Random(11)
    kinds = column_kinds(TABLES_BY_NAME["run_logs"])
    batches = []
    for b in range(16):
        rows = []
        for i in range(200):
            keys = rng.sample([f"k{j}" for j in range(200)], 60)
            inner = "{" + ",".join(f'"{k}":{j}' for j, k in enumerate(rng.sample(keys, 40))) + "}"
            payload = "{" + ",".join(f'"{k}":{inner}' for k in keys) + "}"
            rows.append((f"00000000-0000-4000-8000-{b:06d}{i:06d}".encode(), b"wf", 1, b"success",
                         b"2026-01-01T00:00:00.000000+00:00", b"2026-01-01T00:00:01.000000+00:00",
                         1000, None, payload.encode()))  # as the copy reads them: bytes
        batches.append(rows)
    serial = [sides._canon.hash_rows(rows, kinds) for rows in batches]
    assert all(count == 200 for count, _total, _slow in serial)  # all hashed in C
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(lambda rows: sides._canon.hash_rows(rows, kinds), batches)) == serial
