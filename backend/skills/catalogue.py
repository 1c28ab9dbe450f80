"""The catalogue: one summary row per file in skills/, kept fresh by fingerprint.

A refresh is one ``scandir`` plus one ``stat`` per file; only files whose fingerprint
changed (or that were racy when read) are read and parsed again. Sorted, filtered
views are cached per generation, so paging through a list costs a slice.
"""

from __future__ import annotations

import os
import stat as statmod
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import ValidationError
from .files import FileRead, Fingerprint, TooLarge, is_racy, read_file
from .model import Skill, parse_skill_text, validate_id
from .results import InvalidFile, SkillSummary, SortKey

SORT_KEYS: dict[str, object] = {
    "id": lambda s: s.id,
    "name": lambda s: (s.name.casefold(), s.id),
    "updated_at": lambda s: (s.updated_at or "", s.id),
    "version": lambda s: (s.version, s.id),
}


@dataclass(slots=True)
class Row:
    fp: Fingerprint
    racy: bool
    summary: SkillSummary | None
    invalid: InvalidFile | None
    haystack: str = ""


def summarise(skill: Skill, hash_: str, size: int) -> SkillSummary:
    return SkillSummary(skill.id, skill.name, skill.description, skill.tags, skill.version,
                        skill.created_at, skill.updated_at, hash_, size)


def check_file(name: str, read: FileRead) -> Skill:
    """Parse and validate the bytes of ``skills/<name>``; raises ValidationError."""
    stem = name[:-5]
    skill = parse_skill_text(read.raw, known_id=stem)  # callers validated the file name
    if skill.id != stem:
        raise ValidationError(f"id {skill.id!r} in the file does not match its name {name!r}",
                              where="id", hint="Rename the file or fix its id.")
    return skill


def load_row(folder: str, name: str, max_bytes: int) -> tuple[Row, Skill | None, FileRead | None]:
    """Read one file into a catalogue row (never raises for bad content)."""
    path = os.path.join(folder, name)
    stem = name[:-5]
    try:
        validate_id(stem)
    except ValidationError as exc:
        st = os.stat(path)
        bad = InvalidFile(stem, name, f"file name is not a valid skill id ({exc.message})", None, st.st_size)
        return Row(Fingerprint.of(st), False, None, bad), None, None
    try:
        read = read_file(path, max_bytes)
    except TooLarge as exc:
        st = os.stat(path)
        return Row(Fingerprint.of(st), False, None, InvalidFile(stem, name, str(exc), None, exc.size)), None, None
    racy = is_racy(read.fp.mtime_ns, read.checked_ns)
    try:
        skill = check_file(name, read)
    except ValidationError as exc:
        bad = InvalidFile(stem, name, exc.message, read.hash, len(read.raw))
        return Row(read.fp, racy, None, bad), None, read
    summary = summarise(skill, read.hash, len(read.raw))
    return Row(read.fp, racy, summary, None, _haystack(summary)), skill, read


def _haystack(s: SkillSummary) -> str:
    return "\n".join((s.id, s.name, s.description, *s.tags)).casefold()


class Catalogue:
    def __init__(self, folder: str, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._rows: dict[str, Row] = {}   # file name -> row
        self._lock = threading.RLock()
        self._generation = 0
        self._views: dict[tuple, list[SkillSummary]] = {}
        self._pool: ThreadPoolExecutor | None = None

    # -- keeping fresh ---------------------------------------------------------------
    def refresh(self) -> None:
        """Bring every row up to date with the folder (stat all, read the changed)."""
        todo: list[str] = []
        seen: set[str] = set()
        try:
            entries = os.scandir(self.folder)
        except FileNotFoundError:
            entries = None
        with self._lock:
            if entries is not None:
                with entries:
                    for entry in entries:
                        name = entry.name
                        if name.startswith(".") or not name.endswith(".json"):
                            continue
                        try:
                            st = entry.stat()
                        except OSError:
                            continue
                        if not statmod.S_ISREG(st.st_mode):
                            continue
                        seen.add(name)
                        row = self._rows.get(name)
                        if row is None or row.racy or not row.fp.matches(st):
                            todo.append(name)
            gone = self._rows.keys() - seen
            for name in gone:
                del self._rows[name]
            if todo:
                self._load(todo)
            if gone or todo:
                self._bump()

    def _load(self, names: list[str]) -> None:
        def one(name: str) -> tuple[str, Row | None]:
            try:
                return name, load_row(self.folder, name, self.max_bytes)[0]
            except FileNotFoundError:
                return name, None
            except OSError as exc:
                return name, Row(Fingerprint(-1, -1, -1), True, None,
                                 InvalidFile(name[:-5], name, f"cannot read: {exc.strerror}", None, 0))

        if len(names) > 256:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="skills-catalogue")
            results: Iterable[tuple[str, Row | None]] = self._pool.map(one, names, chunksize=128)
        else:
            results = map(one, names)
        for name, row in results:
            if row is None:
                self._rows.pop(name, None)
            else:
                self._rows[name] = row

    def _bump(self) -> None:
        self._generation += 1
        self._views.clear()

    def note(self, name: str, row: Row | None) -> None:
        """Record what a get/put/delete just learnt about one file (None: removed)."""
        with self._lock:
            if row is None:
                if self._rows.pop(name, None) is not None:
                    self._bump()
            else:
                if row.summary is not None and not row.haystack:
                    row.haystack = _haystack(row.summary)
                self._rows[name] = row
                self._bump()

    def forget_all(self) -> None:
        with self._lock:
            for row in self._rows.values():
                row.racy = True
            self._bump()

    # -- views ------------------------------------------------------------------------
    def view(self, sort: SortKey, descending: bool, tag: str | None, text: str | None) -> list[SkillSummary]:
        if sort not in SORT_KEYS:
            raise ValidationError(f"cannot sort by {sort!r}", where="sort",
                                  hint=f"Use one of {', '.join(SORT_KEYS)}.")
        key = (sort, descending, tag, (text or "").casefold() or None)
        with self._lock:
            cached = self._views.get(key)
            if cached is not None:
                return cached
            needle = key[3]
            rows = [r for r in self._rows.values() if r.summary is not None
                    and (tag is None or tag in r.summary.tags)
                    and (needle is None or needle in r.haystack)]
            items = [r.summary for r in rows]  # type: ignore[misc]
            items.sort(key=SORT_KEYS[sort], reverse=descending)  # type: ignore[arg-type]
            self._views[key] = items
            return items

    def invalid(self) -> list[InvalidFile]:
        with self._lock:
            return sorted((r.invalid for r in self._rows.values() if r.invalid is not None),
                          key=lambda f: f.filename)

    def tags(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for r in self._rows.values():
                if r.summary is not None:
                    for t in r.summary.tags:
                        counts[t] = counts.get(t, 0) + 1
        return dict(sorted(counts.items()))

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._rows)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
