"""kill -9 at random moments, resume, and check each time that nothing is lost or doubled."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from migrate_fixtures import pg_ep, sqlite_ep

from backend.migrate.copy import run_copy
from backend.migrate.sides import PgSide, SqliteSide
from backend.migrate.synth import create_source
from backend.migrate.tables import TABLES, TABLES_BY_NAME
from backend.migrate.verify import verify

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys
from backend.migrate.copy import run_copy
from backend.migrate.endpoints import Endpoint
from backend.migrate.tables import TABLES
def tick(p):
    print(p.done, flush=True)
run_copy(Endpoint("sqlite", sys.argv[1]), Endpoint("postgres", sys.argv[2]), TABLES,
         resume=True, batch_rows=20, progress=tick)
print("finished", flush=True)
"""


def _kill_at_random(source: Path, dsn: str, rng: random.Random) -> bool:
    """Run the copy in a child, SIGKILL it after a random number of batches; True if it finished."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(source), dsn], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    batches = rng.randint(2, 25)
    seen = 0
    for line in child.stdout:
        if line.startswith("finished"):
            child.wait()
            return True
        seen += 1
        if seen >= batches:
            time.sleep(rng.random() * 0.02)  # sometimes mid-batch, sometimes between
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    return child.returncode == 0


def _check_prefix(source: Path, dsn: str) -> int:
    """Target rows == the source rows up to the committed checkpoint, by count and hash."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT last_key, rows_copied FROM storeroom_migration_checkpoints"
                           " WHERE table_name = 'run_logs'").fetchone()
    if row is None or row[0] is None:
        return 0
    last_key, copied = json.loads(row[0]), row[1]
    table = TABLES_BY_NAME["run_logs"]
    src, tgt = SqliteSide(source), PgSide(dsn)
    try:
        expected = src.table_hash(table, [], (-(2**63), last_key))
        assert tgt.table_hash(table) == expected
        assert expected[0] == copied
    finally:
        src.close()
        tgt.close()
    return copied


def test_kill9_at_random_points_then_resume(tmp_path: Path, postgres_dsn: str) -> None:
    # Big enough that six kills never outrun it: a 20-row batch commits in about a millisecond.
    source = create_source(tmp_path / "src.db", 6000, payload_bytes=200)
    rng = random.Random(20261122)
    kills = finished = 0
    progress = []
    while kills < 6 and not finished:
        finished = _kill_at_random(source, postgres_dsn, rng)
        kills += not finished
        progress.append(_check_prefix(source, postgres_dsn))
    assert kills >= 5, f"the copy finished before 5 kills: {progress}"
    print("checkpoints after each kill:", progress)
    assert progress == sorted(progress) and progress[-1] > 0  # moved on, never backwards
    result = run_copy(sqlite_ep(source), pg_ep(postgres_dsn), TABLES, resume=True)
    assert result.status == "completed" and result.rows["run_logs"] == 6000
    report = verify(sqlite_ep(source), pg_ep(postgres_dsn), TABLES)
    assert report.ok, [t.verdict for t in report.tables]
