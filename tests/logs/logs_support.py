"""Helpers for the logs/metrics tests: deterministic runs and workspaces on each engine."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backend import open_workspace

ROOT = Path(__file__).resolve().parents[2]
END = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_runs",
                                                  ROOT / "sample-data" / "generate_runs.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()


def sample_runs(n: int, seed: int = 7, days: int = 30) -> list[dict[str, Any]]:
    """``n`` realistic runs ending at END (deterministic)."""
    return list(GENERATOR.generate_runs(n, seed=seed, end=END, days=days))


def a_run(**over: Any) -> dict[str, Any]:
    """One small valid run; keyword arguments replace fields."""
    started = END - timedelta(minutes=5)
    run = {
        "run_id": str(uuid.uuid4()), "workflow_id": "wf-a", "workflow_version": 1,
        "status": "success", "started_at": started,
        "finished_at": started + timedelta(milliseconds=1500), "duration_ms": 1500,
        "error": None, "payload": {"steps": [{"id": "s1", "status": "success"}]},
    }
    if isinstance(over.get("started_at"), datetime) and "finished_at" not in over:
        over["finished_at"] = over["started_at"] + timedelta(milliseconds=1500)
    run.update(over)
    return run


def write_config(root: Path, backend: str, dsn: str | None = None, extra: str = "",
                 busy_timeout: str = "5s") -> None:
    root.mkdir(parents=True, exist_ok=True)
    text = (f"workspace:\n  name: demo\n  id: logs-test\nlogs:\n  backend: {backend}\n"
            f"  busy_timeout: {busy_timeout}\n")
    if dsn:
        text += f"postgres:\n  dsn: {dsn}\n"
    (root / "storeroom.yaml").write_text(text + extra, encoding="utf-8")


def make_ws(root: Path, backend: str, dsn: str | None = None, extra: str = "",
            busy_timeout: str = "5s") -> Any:
    write_config(root, backend, dsn, extra, busy_timeout)
    return open_workspace(root, create=True)
