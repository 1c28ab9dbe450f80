"""Counts and sizes of a workspace's contents, for the Dashboard and ``doctor``.

Only cheap facts: folder scans and single COUNT queries. A concern that is not
available (not built, or its backend down) is reported as such, never guessed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .workspace import Workspace


@dataclass(frozen=True)
class Fact:
    """One line of the summary: ``value`` is None when it could not be measured."""

    label: str
    value: int | None
    size: int | None = None
    note: str = ""


@dataclass(frozen=True)
class ActivityItem:
    """One line of the activity feed, from the audit log or the live event bus."""

    at: datetime
    kind: str
    subject: str
    detail: str


def _scan(folder: Path, suffix: str) -> tuple[int, int]:
    count = size = 0
    if not folder.is_dir():
        return 0, 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            if name.endswith(suffix):
                count += 1
                try:
                    size += os.stat(os.path.join(dirpath, name)).st_size
                except FileNotFoundError:
                    pass  # deleted while we looked
    return count, size


def workspace_summary(ws: Workspace) -> list[Fact]:
    """Skills, workflows, versions, runs, database and archive sizes."""
    skills, skills_bytes = _scan(ws.paths.skills, ".json")
    versions, versions_bytes = _scan(ws.paths.workflows, ".yaml")
    workflows = sum(1 for p in ws.paths.workflows.iterdir() if p.is_dir()) if ws.paths.workflows.is_dir() else 0
    archives, archive_bytes = _scan(ws.paths.archive, "")
    facts = [
        Fact("skills", skills, skills_bytes),
        Fact("workflows", workflows, None),
        Fact("workflow versions", versions, versions_bytes),
    ]
    facts.append(_runs_fact(ws))
    db = ws.sqlite_path
    db_bytes = sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    facts.append(Fact("sqlite database", None, db_bytes, db.name))
    facts.append(Fact("archives", archives, archive_bytes))
    return facts


def _runs_fact(ws: Workspace) -> Fact:
    try:
        logs = ws.logs
    except ImportError:
        return Fact("runs", None, None, "execution logs are not part of this build yet")
    except Exception as exc:  # noqa: BLE001 - a down log backend is a fact to show
        return Fact("runs", None, None, f"unavailable: {str(exc).splitlines()[0][:80]}")
    return Fact("runs", logs.count(), None, ws.settings.logs.backend)


def recent_activity(ws: Workspace, limit: int = 30) -> list[ActivityItem]:
    """Newest first: audit entries merged with live events not yet in the audit log."""
    items = [ActivityItem(e.at, e.kind, e.subject, e.detail) for e in ws.events.recent(limit)]
    if ws.sqlite_path.exists():
        for entry in ws.audit.query(limit=limit):
            detail = f"by {entry.actor}"
            items.append(ActivityItem(entry.at, entry.action, entry.target, detail))
    items.sort(key=lambda item: item.at, reverse=True)
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for item in items:
        key = (item.at.isoformat(timespec="seconds"), item.kind, item.subject)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique[:limit]
