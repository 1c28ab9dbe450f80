"""Bulk import and export of skill folders."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFound, ValidationError
from .files import TooLarge, atomic_write, fsync_dir, read_file
from .model import InvalidSkill, content_hash, now_iso, parse_skill_text
from .results import ExportReport, ImportReport
from .writes import read_current, write

if TYPE_CHECKING:
    from .store import SkillStore


def import_folder(store: SkillStore, folder: Path, *, overwrite: bool = False) -> ImportReport:
    if not folder.is_dir():
        raise NotFound("folder", str(folder), hint="Pass a folder holding <id>.json skill files.")
    report = ImportReport()
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            read = read_file(str(path), store.max_bytes)
            skill = parse_skill_text(read.raw)
        except TooLarge as exc:
            report.errors.append((path.name, str(exc)))
            continue
        except ValidationError as exc:
            report.errors.append((path.name, exc.message))
            continue
        except OSError as exc:
            report.errors.append((path.name, f"cannot read: {exc.strerror}"))
            continue
        with store._locks.hold(skill.id):
            cur = read_current(store, skill.id)
            now = now_iso()
            if cur.hash is not None:
                if cur.read is not None and cur.hash == content_hash(skill.to_bytes()):
                    report.skipped.append((skill.id, "unchanged"))
                    continue
                if not overwrite:
                    why = "exists with different content (import with --overwrite to replace it)"
                    report.skipped.append((skill.id, why))
                    continue
                base = cur.skill.version if cur.skill is not None else 0
                new = dataclasses.replace(skill, version=max(base + 1, skill.version), updated_at=now,
                                          created_at=skill.created_at or now)
            else:
                new = dataclasses.replace(skill, version=max(1, skill.version),
                                          created_at=skill.created_at or now,
                                          updated_at=skill.updated_at or now)
            try:
                h = write(store, new, cur, "skill.import", {"from": str(folder)})
            except ValidationError as exc:
                report.errors.append((path.name, exc.message))
                continue
        store._saved(new, h)
        report.ids.append(new.id)
    return dataclasses.replace(report, imported=len(report.ids))


def export_folder(store: SkillStore, folder: Path) -> ExportReport:
    folder.mkdir(parents=True, exist_ok=True)
    target = str(folder)
    count = 0
    for ident in (name[:-5] for name in store.catalogue_names()):
        try:
            skill = store.get(ident)
        except (NotFound, InvalidSkill):
            continue
        atomic_write(target, ident + ".json", skill.to_bytes(), sync_dir=False)
        count += 1
    fsync_dir(target)
    return ExportReport(count, os.fspath(folder))
