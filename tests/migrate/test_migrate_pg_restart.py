"""PostgreSQL restarted in the middle of a copy: reconnect and go on, or fail and resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrate_fixtures import assert_tally_exact, pg_ep, sqlite_ep

from backend.errors import BackendUnavailable
from backend.migrate.copy import run_copy
from backend.migrate.progress import Progress
from backend.migrate.synth import create_source
from backend.migrate.tables import TABLES
from backend.migrate.verify import verify


def _restart_after(server: object, batches: int) -> object:
    seen = {"n": 0}

    def tick(p: Progress) -> None:
        if p.phase == "copy" and p.done:
            seen["n"] += 1
            if seen["n"] == batches:
                server.restart()  # fast stop: every connection is cut mid-run

    return tick


def test_restart_mid_copy_reconnects_from_the_checkpoint(tmp_path: Path, postgres_server: object,
                                                         postgres_dsn: str) -> None:
    source = create_source(tmp_path / "src.db", 1500, payload_bytes=200)
    result = run_copy(sqlite_ep(source), pg_ep(postgres_dsn), TABLES, batch_rows=100,
                      progress=_restart_after(postgres_server, 5), retry_wait=0.2)
    assert result.status == "completed" and result.rows["run_logs"] == 1500
    assert verify(sqlite_ep(source), pg_ep(postgres_dsn), TABLES).ok
    # batches retried after the reconnect are tallied once
    assert_tally_exact(source, result, expect={t.name for t in TABLES})
    assert verify(sqlite_ep(source), pg_ep(postgres_dsn), TABLES,
                  copied_hashes=result.source_hashes).ok


def test_restart_without_retries_fails_clearly_then_resume_completes(
        tmp_path: Path, postgres_server: object, postgres_dsn: str) -> None:
    source = create_source(tmp_path / "src.db", 1500, payload_bytes=200)
    with pytest.raises(BackendUnavailable, match="resume"):
        run_copy(sqlite_ep(source), pg_ep(postgres_dsn), TABLES, batch_rows=100,
                 progress=_restart_after(postgres_server, 4), retries=0)
    result = run_copy(sqlite_ep(source), pg_ep(postgres_dsn), TABLES, resume=True)
    assert result.status == "completed" and result.rows["run_logs"] == 1500
    assert result.resumed_from["run_logs"] == 400
    assert "run_logs" not in result.source_hashes  # resumed: verify hashes it whole
    assert_tally_exact(source, result)
    report = verify(sqlite_ep(source), pg_ep(postgres_dsn), TABLES)
    assert report.ok, [t.verdict for t in report.tables]


def test_server_crash_mid_copy_loses_no_row_and_doubles_none(
        tmp_path: Path, postgres_server: object, postgres_dsn: str) -> None:
    """Batches commit without waiting for their WAL flush: a crash (SIGKILL, recovery on
    start) may drop the last acknowledged batches, but only with their checkpoints."""
    source = create_source(tmp_path / "src.db", 1500, payload_bytes=200)
    seen = {"n": 0}

    def crash(p: Progress) -> None:
        if p.phase == "copy" and p.done:
            seen["n"] += 1
            if seen["n"] == 6:
                postgres_server.kill()
                postgres_server.start()

    result = run_copy(sqlite_ep(source), pg_ep(postgres_dsn), TABLES, batch_rows=100,
                      progress=crash, retry_wait=0.2)
    assert result.status == "completed" and result.rows["run_logs"] == 1500
    assert_tally_exact(source, result, expect={t.name for t in TABLES})
    report = verify(sqlite_ep(source), pg_ep(postgres_dsn), TABLES)
    assert report.ok, [t.verdict for t in report.tables]
