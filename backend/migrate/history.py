"""The history of migration runs, kept in ``.storeroom/migrations.json``.

Not in storeroom.db: a switch archives that file, and the history must outlive it.
Only masked DSNs are stored.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .yamledit import atomic_write

_lock = threading.Lock()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    """One migration run and what became of it."""

    id: int
    started_at: str
    source: str
    target: str
    status: str = "running"  # running, completed, completed-with-quarantine, cancelled, failed
    finished_at: str | None = None
    rows: int = 0
    quarantined: int = 0
    verified: bool | None = None
    verify_detail: list[str] = field(default_factory=list)
    accepted_quarantine: bool = False
    switched_at: str | None = None
    undone_at: str | None = None
    archive: str | None = None
    config_backup: str | None = None
    error: str | None = None
    seconds: float | None = None

    @property
    def switchable(self) -> bool:
        return (self.status in ("completed", "completed-with-quarantine") and self.verified is True
                and (self.quarantined == 0 or self.accepted_quarantine))


class History:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "migrations.json"

    def _load(self) -> list[RunRecord]:
        if not self.path.exists():
            return []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        names = {f.name for f in fields(RunRecord)}
        return [RunRecord(**{k: v for k, v in r.items() if k in names}) for r in raw]

    def _save(self, runs: list[RunRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps([asdict(r) for r in runs], indent=1))

    def runs(self) -> list[RunRecord]:
        """Newest first."""
        with _lock:
            return self._load()[::-1]

    def start(self, source: str, target: str) -> RunRecord:
        with _lock:
            runs = self._load()
            record = RunRecord(max((r.id for r in runs), default=0) + 1, now_iso(), source, target)
            self._save([*runs, record])
            return record

    def update(self, run_id: int, **changes: Any) -> RunRecord:
        with _lock:
            runs = self._load()
            for record in runs:
                if record.id == run_id:
                    for key, value in changes.items():
                        setattr(record, key, value)
                    self._save(runs)
                    return record
        raise KeyError(run_id)

    def discard(self, run_id: int) -> None:
        """Forget a run refused before it wrote anything."""
        with _lock:
            self._save([r for r in self._load() if r.id != run_id])

    def latest_for(self, target: str) -> RunRecord | None:
        return next((r for r in self.runs() if r.target == target), None)
