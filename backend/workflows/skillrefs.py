"""Which skills a definition's steps name that do not exist (warnings, never errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def skill_report(skills_dir: Path, definition: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(warnings, missing skill ids): a skill exists when ``skills/<id>.json`` is a file.

    Checked by file existence so workflows do not depend on the skills backend.
    """
    missing: dict[str, list[str]] = {}
    for step in definition.get("steps") or []:
        skill = step.get("skill")
        if isinstance(skill, str) and not (skills_dir / f"{skill}.json").is_file():
            missing.setdefault(skill, []).append(str(step.get("id")))
    warnings = tuple(f"skill {skill!r} (step {', '.join(steps)}) does not exist in skills/"
                     for skill, steps in missing.items())
    return warnings, tuple(missing)
