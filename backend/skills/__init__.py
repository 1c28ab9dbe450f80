"""The skills library: JSON files under skills/, cached in memory and Redis.

>>> store = ws.skills            # or open_skill_store(ws)
>>> skill = store.get("web-fetch")
>>> store.put(skill.evolve(code="..."), expected=skill.version)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import SkillConflict
from .model import InvalidSkill, Skill, content_hash, parse_skill_text, validate_id
from .results import (
    ExportReport,
    ImportReport,
    InvalidFile,
    KeyPage,
    Page,
    RedisKey,
    RedisState,
    Served,
    SkillSummary,
    TierCopy,
    TierStats,
    TierView,
)
from .store import SkillStore

if TYPE_CHECKING:
    from ..workspace import Workspace


def open_skill_store(ws: Workspace) -> SkillStore:
    """The skill store of ``ws`` (cleans temp files left by crashed writers)."""
    return SkillStore(ws)


__all__ = [
    "ExportReport", "ImportReport", "InvalidFile", "InvalidSkill", "KeyPage", "Page", "RedisKey",
    "RedisState", "Served", "Skill", "SkillConflict", "SkillStore", "SkillSummary", "TierCopy",
    "TierStats", "TierView", "content_hash", "open_skill_store", "parse_skill_text", "validate_id",
]
