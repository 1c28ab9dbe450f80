"""The top-level areas of the UI: key, mode name, title and the module that builds each.

An area's screen lives in ``screens/<mode>.py`` and exposes ``SCREEN``; until that
module exists the area shows a plain "not built yet" page (no fake data).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    key: str
    mode: str
    title: str
    summary: str


AREAS: tuple[Area, ...] = (
    Area("1", "dashboard", "Dashboard", "Health of every backend, counts and recent activity"),
    Area("2", "skills", "Skills", "Browse, search and edit skills; see which cache tier served them"),
    Area("3", "workflows", "Workflows", "Workflow versions, their lineage and diffs"),
    Area("4", "logs", "Logs", "Execution runs, filtered and tailed"),
    Area("5", "metrics", "Metrics", "Success rates and latency per workflow version"),
    Area("6", "cache", "Cache", "Memory and Redis tiers: stats, keys, eviction"),
    Area("7", "migrate", "Migrate", "Move logs and metrics between SQLite and PostgreSQL"),
)
