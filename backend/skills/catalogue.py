"""The catalogue: one summary row per file in skills/, kept fresh by fingerprint.

A refresh is one ``scandir`` plus one ``stat`` per file; only files whose fingerprint
changed (or that were racy when read) are read and parsed again. Sorted, filtered
views are cached per generation, so paging through a list costs a slice.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import os
import stat as statmod
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from ..errors import ValidationError
from . import bulk_read, catalogue_cache
from .catalogue_rows import Row, check_file, load_row, plain_name, read_row, summarise
from .files import UNKNOWN, is_racy
from .results import InvalidFile, SkillSummary, SortKey

__all__ = ["Catalogue", "Row", "check_file", "load_row", "read_row", "summarise"]

log = logging.getLogger(__name__)
GC_PAUSE_MIN = 1000  # rows loaded at once before the collector is held off
BULK_MIN = 64  # files read at once before a reader thread is worth starting (bulk_read)
SAVE_DELAY = 2.0  # seconds after a large change before the rows are persisted
SORT_KEYS: dict[str, object] = {
    "id": lambda s: s.id,
    "name": lambda s: (s.name.casefold(), s.id),
    "updated_at": lambda s: (s.updated_at or "", s.id),
    "version": lambda s: (s.version, s.id),
}


@contextlib.contextmanager
def _gc_paused(pause: bool) -> Iterator[None]:
    """Hold off the cyclic garbage collector while thousands of rows are built: each row
    survives, so the collector would run every few hundred files and rescan the whole
    heap (the app's too) again and again, for nothing: rows hold no cycles. Resumed
    right after, unless someone else had turned it off."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _haystack(s: SkillSummary) -> str:
    return "\n".join((s.id, s.name, s.description, *s.tags)).casefold()


class Catalogue:
    """Summary rows of every file in the folder.

    ``refresh()`` (what ``list`` calls) scans names only: added and removed files show at
    once, rows we wrote or were told about (``mark``) are re-read. Whether a file was
    edited in place is found by ``verify()`` (one stat per file), which ``refresh`` runs
    in the background when the last check is older than ``verify_every`` seconds, or
    inline with ``refresh(verify=True)``. The rows persist in ``cache_path`` between runs.
    """

    def __init__(self, folder: str, max_bytes: int, cache_path: str | None = None,
                 on_change: Callable[[int], None] | None = None, verify_every: float = 1.0) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.cache_path = cache_path
        self.on_change = on_change
        self.verify_every = verify_every
        self._rows: dict[str, Row] = {}   # file name -> row
        self._lock = threading.RLock()
        self._generation = 0
        self._views: dict[tuple, list[SkillSummary]] = {}
        self._started = False
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._dirty: set[str] = set()   # rows to re-read on the next refresh
        self._dir_key: tuple[int, int] | None = None  # folder (mtime_ns, inode) at the last listing
        self._start_lock = threading.Lock()
        self._loading = False
        self._verified_at = 0.0
        self._verifying = False
        self._saved_generation = 0
        self._save_pending = False
        self._save_lock = threading.Lock()

    # -- keeping fresh ---------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """True once the rows were loaded (from the cache or by reading every file)."""
        return self._started

    def _ensure_started(self) -> bool:
        """Load the rows once: from the persisted cache (checked later like any row),
        else by reading every file. Returns True if it read every file."""
        if self._started:
            return False
        with self._start_lock:
            if self._started:
                return False
            with _gc_paused(True):  # thousands of rows, as in _load
                cached = catalogue_cache.load(self.cache_path, self.folder) if self.cache_path else None
                rows = {name: Row(fp, racy, summary, invalid)
                        for name, (fp, racy, summary, invalid) in (cached or {}).items()}
            if cached:
                with self._lock:
                    for name, row in rows.items():
                        if self._rows.setdefault(name, row) is row and row.racy:  # a save meanwhile is newer
                            self._dirty.add(name)
                    self._bump()
                    self._saved_generation = self._generation
                # Every cached row gets checked against its file, just not in the way of
                # the first screen: a moment later, on a thread.
                self._verified_at = time.monotonic()
                self._verify_later(delay=0.3)
            else:
                self.verify()
            self._started = True
            return not cached

    def load_in_background(self, then: Callable[[int], None] | None = None) -> None:
        """Start loading the rows on a thread (``then(row count)`` when done).

        If another caller loaded them meanwhile, ``then`` still runs: whoever showed a
        quick, incomplete page is waiting to hear that the full rows are ready.
        """
        if self._started:
            if then is not None:
                self._spawn(lambda: then(len(self._rows)), "skills-catalogue-ready")
            return
        if self._loading:
            return
        self._loading = True

        def run() -> None:
            try:
                self._ensure_started()
                self.refresh()
                if then is not None:
                    then(len(self._rows))
            except Exception:  # noqa: BLE001 - the next list() loads synchronously instead
                log.exception("loading the skills catalogue failed")
            finally:
                self._loading = False

        self._spawn(run, "skills-catalogue-load")

    def quick_page(self, offset: int, limit: int, descending: bool) -> tuple[list[SkillSummary], int, int]:
        """A page in id order before the rows are loaded: list the names, read only the
        page's files. Returns (items, estimated total, invalid files seen)."""
        try:
            names = sorted((n for n in os.listdir(self.folder) if n.endswith(".json") and not n.startswith(".")),
                           reverse=descending)
        except FileNotFoundError:
            names = []
        items: list[SkillSummary] = []
        invalid = 0
        skipped = 0
        for name in names:
            if len(items) >= limit:
                break
            try:
                row = read_row(self.folder, name, self.max_bytes)
            except OSError:
                continue
            if row.summary is None:
                invalid += 1
                continue
            if skipped < offset:  # an offset counts valid skills, like the full list
                skipped += 1
                continue
            items.append(row.summary)
        return items, len(names) - invalid, invalid

    def refresh(self, verify: bool = False) -> None:
        """Bring the rows up to date: names always, contents by fingerprint (see class doc)."""
        if self._ensure_started():
            return  # every file was just read
        if verify:
            self.verify()
            return
        try:
            dst = os.stat(self.folder)
        except FileNotFoundError:
            dst = None
        checked = time.time_ns()
        dir_key = (dst.st_mtime_ns, dst.st_ino) if dst is not None else None
        with self._lock:
            if dir_key is not None and dir_key == self._dir_key:
                # No file added, removed or renamed since the last listing: only the
                # rows we were told about (saved, racy, marked) need a look.
                todo, gone = list(self._dirty), set()
            else:
                try:
                    names = {n for n in os.listdir(self.folder) if n.endswith(".json") and not n.startswith(".")}
                except FileNotFoundError:
                    names = set()
                gone = self._rows.keys() - names
                for name in gone:
                    del self._rows[name]
                    self._dirty.discard(name)
                todo = [n for n in names if n not in self._rows or n in self._dirty]
                # A listing taken in the same clock tick as the folder's mtime may miss a
                # file added in that tick: list again next time (the racy rule again).
                racy_dir = dst is None or is_racy(dst.st_mtime_ns, checked)
                self._dir_key = None if racy_dir else dir_key
            if todo:
                self._load(todo)
            if gone or todo:
                self._bump()
        if time.monotonic() - self._verified_at > self.verify_every:
            self._verify_later()

    def verify(self) -> int:
        """Stat every file and re-read the changed ones; returns how many rows changed."""
        self._verified_at = time.monotonic()
        # No rows yet (the first load): every file is read, and the read's fstat gives
        # its fingerprint, so the listing needs no stat per file (scandir's type will do).
        first = not self._rows
        stats: dict[str, os.stat_result | None] = {}
        try:
            dst = os.stat(self.folder)
            checked = time.time_ns()
            with os.scandir(self.folder) as entries:
                closed = self._closed.is_set
                for entry in entries:
                    if closed():
                        return 0  # the store is closing: the next open checks again
                    name = entry.name
                    if name.startswith(".") or not name.endswith(".json"):
                        continue
                    try:
                        if first:
                            if entry.is_file():  # follows symlinks, as stat() does
                                stats[name] = None
                            continue
                        st = entry.stat()
                    except OSError:
                        continue
                    if statmod.S_ISREG(st.st_mode):
                        stats[name] = st
        except FileNotFoundError:
            dst = None
        with self._lock:
            gone = self._rows.keys() - stats.keys()
            for name in gone:
                del self._rows[name]
                self._dirty.discard(name)
            todo = [n for n, st in stats.items()
                    if (row := self._rows.get(n)) is None or row.racy or st is None or not row.fp.matches(st)]
            if todo:
                self._load(todo)
            changed = len(gone) + len(todo)
            if changed:
                self._bump()
            if dst is not None and not is_racy(dst.st_mtime_ns, checked):
                self._dir_key = (dst.st_mtime_ns, dst.st_ino)  # this listing is current for refresh()
        if changed and len(todo) >= 64:
            self._save_later()
        return changed

    def _save_later(self) -> None:
        """Persist the rows a little later, on a thread: writing them (derived state)
        is not in the way of whoever waits for the rows now. close() saves anyway."""
        with self._lock:
            if self._save_pending:
                return
            self._save_pending = True

        def run() -> None:
            try:
                if not self._closed.wait(SAVE_DELAY):
                    self.save()
            except Exception:  # noqa: BLE001 - derived state: the next start reads the files
                log.exception("saving the skills catalogue failed")
            finally:
                self._save_pending = False

        self._spawn(run, "skills-catalogue-save")

    def _verify_later(self, delay: float = 0.0) -> None:
        with self._lock:
            if self._verifying:
                return
            self._verifying = True

        def run() -> None:
            try:
                if self._closed.wait(delay) if delay else self._closed.is_set():
                    return
                changed = self.verify()
                if changed and self.on_change is not None:
                    self.on_change(changed)
            except Exception:  # noqa: BLE001 - a background check must never crash the app
                log.exception("skills catalogue check failed")
            finally:
                self._verifying = False

        self._spawn(run, "skills-catalogue-verify")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _load(self, names: list[str]) -> None:
        with _gc_paused(len(names) >= GC_PAUSE_MIN):
            self._load_rows(names)

    def _load_rows(self, names: list[str]) -> None:
        dir_fd = None
        if len(names) > 1 and os.open in os.supports_dir_fd:
            try:
                dir_fd = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            except OSError:
                dir_fd = None  # read by path, as read_row does then
        try:
            self._read_rows(names, dir_fd)
        finally:
            if dir_fd is not None:
                os.close(dir_fd)

    def _read_rows(self, names: list[str], dir_fd: int | None) -> None:
        pairs: Iterable[tuple[str, Row | None]] = ((name, None) for name in names)
        if dir_fd is not None and bulk_read.AVAILABLE and len(names) >= BULK_MIN:
            plain: list[str] = []
            odd: list[tuple[str, Row | None]] = []
            for name in names:
                if plain_name(name):
                    plain.append(name)
                else:
                    odd.append((name, None))
            pairs = itertools.chain(odd, bulk_read.plain_rows(dir_fd, plain, self.max_bytes))
        for name, got in pairs:
            try:
                row = got or read_row(self.folder, name, self.max_bytes, dir_fd)
            except FileNotFoundError:
                self._rows.pop(name, None)
                self._dirty.discard(name)
                continue
            except OSError as exc:
                row = Row(UNKNOWN, True, None,
                          InvalidFile(name[:-5], name, f"cannot read: {exc.strerror}", None, 0))
            self._rows[name] = row
            if row.racy:
                self._dirty.add(name)
            else:
                self._dirty.discard(name)

    def save(self) -> None:
        """Persist the rows (derived state) if they changed since the last save."""
        if self.cache_path is None:
            return
        with self._save_lock:  # one writer of the file at a time (close and a later save)
            with self._lock:
                if self._generation == self._saved_generation:
                    return
                generation = self._generation
                rows = {n: (r.fp, r.racy, r.summary, r.invalid) for n, r in self._rows.items()}
            catalogue_cache.save(self.cache_path, self.folder, rows)
            self._saved_generation = generation

    def mark(self, name: str) -> None:
        """Re-read this file on the next refresh (a watcher saw it change)."""
        with self._lock:
            row = self._rows.get(name)
            if row is not None:
                row.racy = True
                self._dirty.add(name)

    def _bump(self) -> None:
        self._generation += 1
        self._views.clear()

    def note(self, name: str, row: Row | None) -> None:
        """Record what a get/put/delete just learnt about one file (None: removed)."""
        with self._lock:
            if row is None:
                self._dirty.discard(name)
                if self._rows.pop(name, None) is not None:
                    self._bump()
            else:
                self._rows[name] = row
                if row.racy:
                    self._dirty.add(name)
                else:
                    self._dirty.discard(name)
                self._bump()

    def forget_all(self) -> None:
        """Re-check every row on the next refresh."""
        with self._lock:
            for row in self._rows.values():
                row.racy = True
            self._dirty = set(self._rows)
            self._dir_key = None
            self._verified_at = 0.0
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
            if needle is not None:  # built on first text search, kept until the row changes
                for r in self._rows.values():
                    if r.summary is not None and not r.haystack:
                        r.haystack = _haystack(r.summary)
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
        """Stop the background checks (briefly waiting for them), then save the rows."""
        self._closed.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=1.0)
        self.save()
