"""Switch the workspace to the migrated database, and back.

A switch rewrites storeroom.yaml atomically (comments kept where possible), keeps a copy
of the previous file under ``.storeroom/``, and moves the source SQLite file to
``archive/storeroom-<timestamp>.db``, read-only. Undo reverses all three.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import Conflict
from ..safe_yaml import load_yaml
from .endpoints import Endpoint
from .history import History, RunRecord, now_iso
from .yamledit import edit_config


@dataclass(frozen=True)
class SwitchResult:
    backend: str
    config: str
    archive: str | None
    message: str


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _checkpoint_wal(path: Path) -> None:
    """Fold the WAL into the main file so the archive is one self-contained file."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def archive_sqlite(path: Path, archive_dir: Path) -> Path:
    archive_dir.mkdir(parents=True, exist_ok=True)
    _checkpoint_wal(path)
    dest = archive_dir / f"storeroom-{_stamp()}.db"
    os.replace(path, dest) if path.stat().st_dev == archive_dir.stat().st_dev else shutil.move(path, dest)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    dest.chmod(0o444)
    return dest


def switch_to(ws: Any, target: Endpoint, record: RunRecord, history: History) -> SwitchResult:
    """Point the workspace at ``target`` (after a verified run; see :func:`check_switchable`)."""
    config = ws.paths.config
    backup = ws.paths.state / f"storeroom.yaml.before-switch-{_stamp()}"
    backup.parent.mkdir(parents=True, exist_ok=True)
    if config.exists():
        shutil.copy2(config, backup)
        backup.chmod(0o600)
    archive = None
    if target.kind == "postgres":
        edit_config(config, {("logs", "backend"): "postgres", ("postgres", "dsn"): target.location})
        if ws.sqlite_path.exists():
            archive = archive_sqlite(ws.sqlite_path, ws.paths.archive)
    else:
        rel = os.path.relpath(target.path, ws.root) if target.path.is_relative_to(ws.root) else str(target.path)
        edit_config(config, {("logs", "backend"): "sqlite", ("logs", "sqlite_path"): rel})
    history.update(record.id, switched_at=now_iso(), undone_at=None,
                   archive=str(archive) if archive else None, config_backup=str(backup))
    where = f"; the SQLite source is archived read-only at {archive}" if archive else ""
    return SwitchResult(target.kind, str(config), str(archive) if archive else None,
                        f"storeroom.yaml now uses {target.display}{where}. Restart storeroom "
                        "so every part opens the new backend.")


def check_switchable(record: RunRecord | None, target: Endpoint, accept_quarantine: bool) -> None:
    if record is None:
        raise Conflict(f"no migration to {target.display} has been run",
                       hint="Run `storeroom migrate run --to ...` first.")
    if record.status not in ("completed", "completed-with-quarantine"):
        raise Conflict(f"the last migration to {target.display} ended {record.status}",
                       hint="Resume it (`storeroom migrate run --resume`) and verify it first.")
    if record.verified is not True:
        raise Conflict("the migration has not been verified successfully",
                       hint="Run `storeroom migrate verify --to ...`; switch once it passes.")
    if record.quarantined and not (record.accepted_quarantine or accept_quarantine):
        raise Conflict(f"{record.quarantined} row(s) were quarantined and not accepted",
                       hint="Review them (`storeroom migrate status --to ...`), then switch with "
                            "--accept-quarantine.")
    if record.switched_at and not record.undone_at:
        raise Conflict("this migration is already switched to", hint="Use `storeroom migrate undo` to go back.")


def undo_switch(ws: Any, history: History) -> SwitchResult:
    """Restore the previous backend keys and move the archived SQLite file back."""
    record = next((r for r in history.runs() if r.switched_at and not r.undone_at), None)
    if record is None:
        raise Conflict("nothing to undo: no switch is in effect", hint="See `storeroom migrate status`.")
    before: dict[str, Any] = {}
    if record.config_backup and Path(record.config_backup).exists():
        before = load_yaml(Path(record.config_backup).read_text(encoding="utf-8")) or {}
    logs, pg = before.get("logs") or {}, before.get("postgres") or {}
    edit_config(ws.paths.config, {
        ("logs", "backend"): logs.get("backend"),
        ("logs", "sqlite_path"): logs.get("sqlite_path"),
        ("postgres", "dsn"): pg.get("dsn"),
    })
    restored = None
    if record.archive and Path(record.archive).exists():
        archived = Path(record.archive)
        current = ws.paths.sqlite(logs.get("sqlite_path") or "storeroom.db")
        if current.exists():
            # Written after the switch (e.g. audit entries): kept, never overwritten.
            aside = ws.paths.archive / f"storeroom-after-switch-{_stamp()}.db"
            _checkpoint_wal(current)
            os.replace(current, aside)
            for suffix in ("-wal", "-shm"):
                Path(str(current) + suffix).unlink(missing_ok=True)
        archived.chmod(0o644)
        os.replace(archived, current)
        restored = str(current)
    history.update(record.id, undone_at=now_iso())
    back = f"; {restored} restored from the archive" if restored else ""
    return SwitchResult(logs.get("backend") or "sqlite", str(ws.paths.config), restored,
                        f"switched back to the previous backend{back}. Runs stored on the target "
                        "since the switch stay there; migrate them back if you need them. Restart "
                        "storeroom.")
