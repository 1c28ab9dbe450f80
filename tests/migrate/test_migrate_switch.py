"""Switch and undo through the workspace API and the CLI."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from backend.errors import Conflict
from backend.migrate.service import Migrator
from backend.workspace import open_workspace

ROOT = Path(__file__).resolve().parents[2]


def test_switch_and_undo_round_trip(workspace: Path, postgres_dsn: str) -> None:
    original = (workspace / "storeroom.yaml").read_text()
    with open_workspace(workspace) as ws:
        m = Migrator(ws)
        with pytest.raises(Conflict, match="no migration"):
            m.switch(postgres_dsn)
        outcome = m.run(postgres_dsn)
        assert outcome.verify is not None and outcome.verify.ok
        assert outcome.record.verified is True and outcome.record.switchable
        result = m.switch(postgres_dsn)
    text = (workspace / "storeroom.yaml").read_text()
    assert "# my storeroom" in text and "# shown in the header" in text  # comments kept
    assert not (workspace / "storeroom.db").exists()
    archive = Path(result.archive)
    assert archive.parent == workspace / "archive" and archive.name.startswith("storeroom-")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o444
    with open_workspace(workspace) as ws:
        assert ws.settings.logs.backend == "postgres"
        assert ws.settings.postgres.dsn == postgres_dsn
        assert ws.settings.workspace.name == "demo"
        m = Migrator(ws)
        with pytest.raises(Conflict, match="already switched"):
            m.switch(postgres_dsn)
        m.undo()
        runs = m.runs()
    assert (workspace / "storeroom.yaml").read_text() == original
    assert (workspace / "storeroom.db").exists() and not archive.exists()
    assert os.access(workspace / "storeroom.db", os.W_OK)
    assert runs[0].switched_at and runs[0].undone_at
    with open_workspace(workspace) as ws:
        assert ws.settings.logs.backend == "sqlite"
        assert ws.logs.count() == 300


def test_switch_needs_a_verified_run_and_accepted_quarantine(workspace: Path, postgres_dsn: str) -> None:
    import sqlite3

    conn = sqlite3.connect(workspace / "storeroom.db")
    conn.execute("UPDATE run_logs SET payload = '{broken' WHERE rowid = 5")
    conn.commit()
    conn.close()
    with open_workspace(workspace) as ws:
        m = Migrator(ws)
        outcome = m.run(postgres_dsn)
        assert outcome.copy.status == "completed-with-quarantine"
        assert outcome.verify.ok
        with pytest.raises(Conflict, match="quarantined and not accepted"):
            m.switch(postgres_dsn)
        [bad] = m.quarantine(postgres_dsn)
        assert bad.category == "malformed_json" and bad.column == "payload"
        assert m.switch(postgres_dsn, accept_quarantine=True).backend == "postgres"


def _cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui.cli", "-w", str(workspace), "migrate", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_plan_run_status_switch_undo(workspace: Path, postgres_dsn: str) -> None:
    plan = _cli(workspace, "plan", "--to", postgres_dsn, "--json")
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert data["target_state"]["kind"] == "empty" and data["total_rows"] > 300
    run = _cli(workspace, "run", "--to", postgres_dsn)
    assert run.returncode == 0, run.stderr
    assert "verified ok" in run.stdout and "rows/s" in run.stderr  # the progress bar
    again = _cli(workspace, "run", "--to", postgres_dsn)
    assert again.returncode == 2 and "empty database" in again.stderr
    status = _cli(workspace, "status", "--json")
    runs = json.loads(status.stdout)["runs"]
    assert len(runs) == 1 and runs[0]["verified"] is True and runs[0]["status"] == "completed"
    assert _cli(workspace, "switch", "--to", postgres_dsn).returncode == 0
    assert _cli(workspace, "undo").returncode == 0
    assert "switched" in _cli(workspace, "status").stdout


def _archive(tmp_path: Path) -> Path:
    """A retention-style archive: 50 runs and one line that is not JSON."""
    archive = tmp_path / "logs-1.jsonl.gz"
    lines = [json.dumps({"run_id": f"00000000-0000-4000-8000-{n:012d}", "workflow_id": "wf",
                         "workflow_version": 1, "status": "success",
                         "started_at": "2026-01-01T00:00:00+00:00",
                         "finished_at": "2026-01-01T00:00:01+00:00", "duration_ms": 1000,
                         "error": None, "payload": {"n": n, "b": [1, 2.5]}}) for n in range(50)]
    lines.insert(10, "{not json")
    archive.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return archive


@pytest.mark.parametrize("engine", ["postgres", "sqlite"])
def test_jsonl_archive_to_either_engine(tmp_path: Path, workspace: Path, postgres_dsn: str,
                                        engine: str) -> None:
    target = postgres_dsn if engine == "postgres" else str(tmp_path / "restored.db")
    with open_workspace(workspace) as ws:
        outcome = Migrator(ws).run(target, source=str(_archive(tmp_path)))
    assert outcome.copy.rows == {"run_logs": 50} and outcome.copy.quarantined == 1
    assert outcome.verify.ok, [t.verdict for t in outcome.verify.tables]


def test_move_back_from_postgres_to_a_new_sqlite_file(workspace: Path, postgres_dsn: str) -> None:
    with open_workspace(workspace) as ws:
        m = Migrator(ws)
        assert m.run(postgres_dsn).verify.ok
        m.switch(postgres_dsn)
    with open_workspace(workspace) as ws:
        m = Migrator(ws)
        assert m.current().kind == "postgres"
        outcome = m.run("back.db")  # the reverse direction, same machinery
        assert outcome.copy.rows["run_logs"] == 300 and outcome.verify.ok
        assert m.switch("back.db").backend == "sqlite"
    with open_workspace(workspace) as ws:
        assert ws.settings.logs.backend == "sqlite"
        assert ws.sqlite_path == workspace / "back.db"
        assert ws.logs.count() == 300
