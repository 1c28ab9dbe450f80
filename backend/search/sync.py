"""Bring the index in line with skills/: at start-up (reconcile) and per change (watcher).

The folder is the truth. A file whose stat matches what was indexed is skipped without
being read; a read file whose content hash matches is re-fingerprinted, not re-embedded.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .docs import InvalidFile, SkillDoc, fingerprint_matches, read_doc, skill_id_of
from .index import EMBED_BATCH

if TYPE_CHECKING:
    from .index import SkillIndex

log = logging.getLogger(__name__)
PER_SKILL_EVENTS = 50  # above this many changes, one summary event instead of one each


@dataclass
class SyncReport:
    """What one reconcile or watcher batch did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0
    seconds: float = 0.0

    @property
    def touched(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed) + len(self.invalid)

    def as_dict(self) -> dict[str, object]:
        return {"added": len(self.added), "changed": len(self.changed), "removed": len(self.removed),
                "invalid": len(self.invalid), "unchanged": self.unchanged, "seconds": round(self.seconds, 3)}


def scan_folder(index: SkillIndex) -> dict[str, os.stat_result]:
    """Every ``<id>.json`` in skills/ with its stat (one scandir, no reads)."""
    found: dict[str, os.stat_result] = {}
    known = index.known
    try:
        entries = os.scandir(index.ws.paths.skills)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            name = entry.name
            # Indexed ids were validated when indexed: skip the checks for them (10k files).
            ident = name[:-5] if name.endswith(".json") and name[:-5] in known else skill_id_of(name)
            if ident is None:
                continue
            try:
                if entry.is_file():
                    found[ident] = entry.stat()
            except OSError:
                continue  # vanished between listing and stat
    return found


def reconcile(index: SkillIndex, progress: Callable[[int, int], None] | None = None) -> SyncReport:
    """Index what was added or changed and drop what was deleted while we were not looking."""
    started = time.perf_counter()
    report = SyncReport()
    on_disk = scan_folder(index)
    gone = [ident for ident in list(index.known) if ident not in on_disk]
    suspects = [ident for ident, st in on_disk.items()
                if ident not in index.known or not fingerprint_matches(index.known[ident], st)]
    report.unchanged = len(on_disk) - len(suspects)
    report.removed = index.remove(gone)
    total = len(suspects)
    emit = index.ws.events.emit
    last_progress = 0.0
    for start in range(0, total, EMBED_BATCH):
        if index.stop.is_set():
            break
        batch = suspects[start:start + EMBED_BATCH]
        _apply_existing(index, batch, report)
        done = min(start + EMBED_BATCH, total)
        index.set_progress(done, total)
        if progress is not None:
            progress(done, total)
        now = time.monotonic()
        # At most one progress event a second (a 10k build would flood the activity feed).
        if total > EMBED_BATCH and (now - last_progress >= 1.0 or done == total):
            last_progress = now
            emit("index.progress", "skill index", f"indexed {done:,} of {total:,} skills", done=done, total=total)
    index.set_progress(0, 0)
    if report.touched or suspects:
        with index._engine_lock:
            index.engine.flush()
    report.seconds = time.perf_counter() - started
    index.last_report = report
    _announce(index, report, "reconcile")
    return report


def apply_changes(index: SkillIndex, ids: Iterable[str]) -> SyncReport:
    """Re-read each id's file: upsert if it exists and is valid, delete otherwise."""
    started = time.perf_counter()
    report = SyncReport()
    folder = index.ws.paths.skills
    present, missing = [], []
    for ident in sorted(set(ids)):
        # Trust the folder, not the event type: editors report "deleted" for a save.
        (present if (folder / f"{ident}.json").is_file() else missing).append(ident)
    report.removed = index.remove(missing)
    for ident in missing:
        index.invalid.pop(ident, None)
    for start in range(0, len(present), EMBED_BATCH):
        _apply_existing(index, present[start:start + EMBED_BATCH], report)
    report.seconds = time.perf_counter() - started
    _invalidate_tiers(index, report)
    _announce(index, report, "file change")
    return report


def _apply_existing(index: SkillIndex, ids: list[str], report: SyncReport) -> None:
    folder = index.ws.paths.skills
    limit = int(index.ws.settings.skills.max_file_bytes)
    fresh: list[SkillDoc] = []
    for ident in ids:
        try:
            doc = read_doc(folder / f"{ident}.json", ident, limit)
        except FileNotFoundError:
            report.removed.extend(index.remove([ident]))
            continue
        except InvalidFile as exc:
            # Not a usable skill any more: it must not be found until it is fixed.
            index.remove([ident])
            index.invalid[ident] = str(exc)
            report.invalid[ident] = str(exc)
            continue
        except OSError as exc:
            log.warning("cannot read skills/%s.json: %s", ident, exc)
            continue
        old = index.known.get(ident)
        if old is not None and old.get("hash") == doc.hash:
            index.refresh_fingerprint(doc)
            report.unchanged += 1
            continue
        (report.changed if old is not None else report.added).append(ident)
        fresh.append(doc)
    index.index_docs(fresh)


def _invalidate_tiers(index: SkillIndex, report: SyncReport) -> None:
    ids = [*report.added, *report.changed, *report.removed, *report.invalid]
    # Only a store this process already opened has tiers to drop; building one here (from the
    # watcher thread, maybe while the workspace closes) would race its shutdown.
    store = index.ws.__dict__.get("skills")
    if not ids or store is None or getattr(index.ws, "_closed", False):
        return
    try:
        for ident in ids:
            store.invalidate(ident)
    except Exception:  # noqa: BLE001 - the tiers re-check file fingerprints anyway; keep indexing
        log.debug("tier invalidation failed", exc_info=True)


def _announce(index: SkillIndex, report: SyncReport, why: str) -> None:
    emit = index.ws.events.emit
    if report.touched <= PER_SKILL_EVENTS:
        for ident in report.added:
            emit("skill.changed", ident, "added: indexed", change="added")
        for ident in report.changed:
            emit("skill.changed", ident, "changed: re-indexed", change="changed")
        for ident in report.removed:
            emit("skill.removed", ident, "removed from the index")
        for ident, reason in report.invalid.items():
            emit("skill.invalid", ident, f"not indexed: {reason}", reason=reason)
    if report.touched:
        parts = [f"{len(v)} {k}" for k, v in (("added", report.added), ("changed", report.changed),
                                              ("removed", report.removed), ("invalid", report.invalid)) if v]
        emit("index.updated", "skill index", f"{why}: {', '.join(parts)}", **report.as_dict())
