"""SkillStore: skills as JSON files, read through memory -> Redis -> disk.

Disk is the source of truth: a file changed behind our back is never served stale.
A memory hit is served without touching the disk only while the kernel's change feed
(``change_feed``: inotify, one ``poll``) says nothing in the folder changed since the
copy was checked. Otherwise, or where there is no feed, a hit checks the file's
fingerprint (one ``os.stat``: mtime, ctime, size, inode) against the copy. A copy read
within a clock tick of its mtime is "racy" (a same-size rewrite in that tick keeps the
mtime) and is re-read until it is older than that, as git does for its index.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..audit import current_actor
from ..db.sqlite import connect as sqlite_connect
from ..errors import NotFound, ValidationError
from . import writes
from .audit_writer import AuditWriter
from .catalogue import Catalogue, Row, check_file
from .change_feed import ChangeFeed
from .files import (
    TooLarge,
    clean_temp_files,
    is_racy,
    read_file,
)
from .helper import SaveHelper
from .locks import WriteLocks
from .memory import MemoryEntry, MemoryTier
from .model import InvalidSkill, Skill, parse_skill_text, validate_id
from .redis_tier import RedisTier, Unavailable, decode
from .results import (
    ExportReport,
    ImportReport,
    InvalidFile,
    KeyPage,
    Page,
    RedisState,
    Served,
    SortKey,
    TierStats,
    TierView,
)
from .stats import Counters
from .writes import Expected, io_error

if TYPE_CHECKING:
    from ..audit import AuditEntry
    from ..workspace import Workspace

log = logging.getLogger(__name__)
_perf = time.perf_counter_ns


class SkillStore:
    """The skills library of one workspace (``ws.skills``). Thread-safe.

    Errors: ``NotFound`` (no such skill), ``InvalidSkill`` (file exists but is unusable;
    carries reason, hash, raw bytes), ``ValidationError`` (bad id / bad skill),
    ``SkillConflict`` (a ``Conflict``: the file changed since ``expected``; carries
    ``mine``, ``theirs`` (Skill or None), ``theirs_hash``, ``theirs_raw``).
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        cfg = ws.settings.skills
        self.folder = str(ws.paths.skills)
        self.max_bytes = int(cfg.max_file_bytes)
        os.makedirs(self.folder, exist_ok=True)
        self.cleaned = clean_temp_files(self.folder)
        self._dir_fd: int | None = os.open(self.folder, os.O_RDONLY)
        self._locks = WriteLocks(str(ws.paths.state / "skills.lock"))
        self._mem = MemoryTier(cfg.memory_max_entries, int(cfg.memory_max_bytes))
        self._stats = Counters()
        self._valid_ids: set[str] = set()
        self._feed = ChangeFeed(self.folder, self._untrust)
        # Audit rows go on the store's own connection, opened on the first save (so a
        # read-only workspace still reads), committed before put/delete return.
        self._helper = SaveHelper()  # a save's side work, done while it waits on fsync
        self._audit = AuditWriter(
            lambda: sqlite_connect(ws.sqlite_path, busy_timeout=float(ws.settings.logs.busy_timeout)),
            current_actor(),  # once: getpass costs more than the insert
            self._audit_failed, self._helper)
        self._memc = self._stats.tiers["memory"]
        self.catalogue = Catalogue(self.folder, self.max_bytes, str(ws.paths.state / "skills-catalogue.json"),
                                   on_change=self._catalogue_changed)
        rc = ws.settings.redis
        self._redis: RedisTier | None = None
        if rc.url:
            self._redis = RedisTier(rc.url, ws.redis_prefix, ttl=float(rc.ttl),
                                    connect_timeout=float(rc.connect_timeout), read_timeout=float(rc.read_timeout))

    def _path(self, ident: str) -> str:
        return os.path.join(self.folder, ident + ".json")

    # -- reads ----------------------------------------------------------------------
    def get(self, ident: str) -> Skill:
        """The skill ``ident``, from the fastest tier holding the current file version."""
        t0 = _perf()
        entry = self._mem._data.get(ident) if type(ident) is str else None
        if entry is not None and self._fresh(entry):
            self._mem.touch(ident)
            self._memc.hits += 1
            self._memc.samples.append(_perf() - t0)
            return entry.skill
        return self._load(ident, t0).skill

    def get_with_tier(self, ident: str) -> Served:
        """Like :meth:`get`, plus the tier that served it, its content hash and size."""
        t0 = _perf()
        entry = self._mem.peek(ident) if type(ident) is str else None
        if entry is not None and self._fresh(entry):
            self._mem.touch(ident)
            self._memc.hits += 1
            self._memc.samples.append(_perf() - t0)
            return Served(entry.skill, "memory", entry.hash, entry.size)
        return self._load(ident, t0)

    def _fresh(self, entry: MemoryEntry) -> bool:
        """True if ``entry`` still holds its file's content: the change feed says the file
        did not change since it was read, or (no feed) one stat says it matches."""
        if not entry.trusted:
            return self._checked(entry)
        feed = self._feed
        # quiet and busy before trusted: a drain in another thread sets busy before it
        # reads the events and clears it after untrusting their files.
        if feed.quiet() and not feed.busy:
            return entry.trusted
        feed.drain()  # events are pending: maybe about other files
        return feed.quiet() and not feed.busy and entry.trusted

    def _checked(self, entry: MemoryEntry) -> bool:
        """Without a change feed: True if ``entry`` still matches its file (one stat).
        With one, an untrusted copy is read again: the feed said its file changed, and a
        stat cannot see a same-size rewrite that kept the mtime."""
        if entry.racy or self._feed.enabled:
            return False
        try:
            st = os.stat(entry.path)
        except OSError:
            return False
        return entry.fp.matches(st)

    def _untrust(self, names: set[str] | None) -> None:
        self._mem.untrust(None if names is None else [n[:-5] for n in names if n.endswith(".json")])

    def _load(self, ident: str, t0: int) -> Served:
        if type(ident) is not str or ident not in self._valid_ids:
            validate_id(ident)
            if len(self._valid_ids) < 1_000_000:  # bounded; only ever holds checked ids
                self._valid_ids.add(ident)
        path = self._path(ident)
        self._memc.misses += 1
        stats = self._stats.tiers
        entry = self._mem.peek(ident)
        generation = self._feed.settled_generation()
        if self._redis is not None:  # Redis copies are checked against the file's stat
            try:
                st = os.stat(path)
            except FileNotFoundError:
                self._forget(ident)
                stats["disk"].misses += 1
                raise NotFound("skill", ident) from None
            except OSError as exc:
                raise io_error(exc, ident, "read") from None
            if not (entry is not None and entry.fp.matches(st)):
                served = self._from_redis(ident, path, st, t0, generation)
                if served is not None:
                    return served
        return self._from_disk(ident, path, t0, entry, generation)

    def _from_redis(self, ident: str, path: str, st: os.stat_result, t0: int,
                    generation: int) -> Served | None:
        c = self._stats.tiers["redis"]
        try:
            value = self._redis.get(ident)  # type: ignore[union-attr]
        except Unavailable:
            c.errors += 1
            return None
        cached = decode(value) if value is not None else None
        if cached is None or not cached.fp.matches(st) or is_racy(cached.fp.mtime_ns, cached.checked_ns):
            c.misses += 1  # absent, or stale (Redis restarted with old data, file edited)
            return None
        try:
            skill = parse_skill_text(cached.raw, known_id=ident)
        except ValidationError:
            c.misses += 1
            return None
        if skill.id != ident:
            c.misses += 1
            return None
        # (the hash is computed from the bytes when needed, not taken from Redis: saves
        # check ``expected`` against it)
        fresh = MemoryEntry(skill, cached.raw, cached.fp, path, False)
        self._mem.put(ident, fresh)
        self._feed.trust_if_unchanged(generation, fresh.trust)
        c.hits += 1
        c.samples.append(_perf() - t0)
        return Served(skill, "redis", cached.hash, len(cached.raw))

    def _from_disk(self, ident: str, path: str, t0: int, entry: MemoryEntry | None,
                   generation: int) -> Served:
        c = self._stats.tiers["disk"]
        name = ident + ".json"
        try:
            read = read_file(path, self.max_bytes)
        except FileNotFoundError:
            self._forget(ident)
            c.misses += 1
            raise NotFound("skill", ident) from None
        except TooLarge as exc:
            self._forget(ident)
            c.errors += 1
            raise InvalidSkill(ident, str(exc), hash=exc.token) from None
        except OSError as exc:
            c.errors += 1
            raise io_error(exc, ident, "read") from None
        racy = is_racy(read.fp.mtime_ns, read.checked_ns)
        if entry is not None and entry.raw == read.raw:
            skill = entry.skill  # same bytes: keep the parsed value
        else:
            try:
                skill = check_file(name, read)
            except ValidationError as exc:
                self._forget(ident)
                self.catalogue.note(name, Row(read.fp, racy, None,
                                              InvalidFile(ident, name, exc.message, read.hash, len(read.raw))))
                c.errors += 1
                raise InvalidSkill(ident, exc.message, hash=read.hash, raw=read.raw, line=exc.line) from None
        size = len(read.raw)
        fresh = MemoryEntry(skill, read.raw, read.fp, path, racy)
        self._mem.put(ident, fresh)
        # Read after ``generation``: any later change is pending or untrusts it. (A racy
        # copy may be trusted too: the feed, unlike a stat, sees same-tick rewrites.)
        self._feed.trust_if_unchanged(generation, fresh.trust)
        if self._redis is not None and read.fp.size >= 0:
            self._redis.set_later(ident, read.raw, read.fp, read.checked_ns)
        c.hits += 1
        c.samples.append(_perf() - t0)
        return Served(skill, "disk", read, size)

    def _forget(self, ident: str) -> None:
        self._mem.drop(ident)

    def get_many(self, ids: Iterable[str]) -> dict[str, Skill]:
        """Several skills at once; missing or invalid ids are left out."""
        out: dict[str, Skill] = {}
        for ident in ids:
            try:
                out[ident] = self.get(ident)
            except (NotFound, ValidationError):
                continue
        return out

    def exists(self, ident: str) -> bool:
        """True if ``skills/<ident>.json`` exists (valid or not)."""
        return os.path.isfile(self._path(validate_id(ident)))

    def list(self, offset: int = 0, limit: int = 50, sort: SortKey = "id", descending: bool = False,
             tag: str | None = None, text: str | None = None, verify: bool = False) -> Page:
        """A page of valid skills. ``tag`` matches a tag exactly; ``text`` is a
        case-insensitive substring of id, name, description or tags.

        Added, removed and saved files show at once. A file edited in place by another
        program shows after the background check (a ``skills.catalogue`` event says when)
        or at once with ``verify=True`` (one stat per file) or after ``invalidate(id)``.
        """
        offset, limit = max(0, int(offset)), max(0, int(limit))
        if not self.catalogue.ready and sort == "id" and not tag and not text and not verify:
            # Cold start: the default view's first page from the names alone; the rows load behind it.
            items, total, bad = self.catalogue.quick_page(offset, limit, descending)
            self.catalogue.load_in_background(self._catalogue_changed)
            return Page(items, total, offset, limit, bad, complete=False)
        self.catalogue.refresh(verify=verify)
        items = self.catalogue.view(sort, descending, tag or None, text or None)
        return Page(items[offset:offset + limit], len(items), offset, limit, len(self.catalogue.invalid()))

    def _catalogue_changed(self, count: int) -> None:
        self.ws.events.emit("skills.catalogue", "skills", f"{count} skill files changed on disk", changed=count)

    def invalid(self) -> list[InvalidFile]:
        """Files in skills/ that are not usable skills, with the reason (sorted by name)."""
        self.catalogue.refresh()
        return self.catalogue.invalid()

    def catalogue_names(self) -> list[str]:
        """File names (``<id>.json``) in skills/, valid or not, sorted."""
        self.catalogue.refresh()
        return self.catalogue.names()

    def tags(self) -> dict[str, int]:
        """Every tag in use with its number of skills."""
        self.catalogue.refresh()
        return self.catalogue.tags()

    # -- writes ---------------------------------------------------------------------
    def put(self, skill: Skill, expected: Expected = None) -> Skill:
        """Save ``skill`` durably; returns it as written (version bumped, timestamps set).

        ``expected`` is what the editor started from: the version (int) or content
        hash (``"sha256:..."``). None means "create": if the file exists, that is a
        conflict. A file changed meanwhile raises ``SkillConflict``; an invalid file
        is only overwritten when ``expected`` is its hash. Cache failures never fail a save.
        """
        return writes.put(self, skill, expected)

    def delete(self, ident: str, expected: Expected = None) -> None:
        """Delete the file (and every cached copy). ``expected`` as for :meth:`put`;
        None deletes whatever is there. Raises ``NotFound`` if there is no file."""
        writes.delete(self, ident, expected)

    def _saved(self, new: Skill, h: str) -> None:
        """Tell subscribers (outside the lock, so they may call back into the store)."""
        self.ws.events.emit("skill.saved", new.id, f"version {new.version}", version=new.version, hash=h)

    def _audit_failed(self, target: str) -> None:
        self.ws.events.emit("audit.failed", target, "audit entry could not be written (see the log file)")

    def import_folder(self, folder: str | Path, *, overwrite: bool = False) -> ImportReport:
        """Import every ``*.json`` skill of ``folder`` (versions kept as in the files).

        Identical skills are skipped; a different existing one is skipped unless
        ``overwrite``. Bad files are reported in ``errors``; nothing else changes.
        """
        from .transfer import import_folder

        return import_folder(self, Path(folder), overwrite=overwrite)

    def export_folder(self, folder: str | Path) -> ExportReport:
        """Write every valid skill to ``folder/<id>.json`` (canonical bytes, atomic)."""
        from .transfer import export_folder

        return export_folder(self, Path(folder))

    # -- tiers and cache ------------------------------------------------------------
    def tier_view(self, ident: str) -> TierView:
        """What memory, Redis and disk each hold for ``ident`` (stale copies flagged)."""
        from .inspect import tier_view

        return tier_view(self, validate_id(ident))

    def stats(self) -> dict[str, TierStats]:
        """Per tier (``memory``, ``redis``, ``disk``): hits, misses, latency, size."""
        from .inspect import tier_stats

        return tier_stats(self)

    def invalidate(self, ident: str) -> None:
        """Drop ``ident`` from memory (the watcher calls this on file events). Redis
        copies need no delete: they are checked against the file before use."""
        self._mem.drop(ident)
        self.catalogue.mark(ident + ".json")

    def invalidate_all(self) -> None:
        """Drop every memory entry and re-check every catalogue row on the next list."""
        self._mem.clear()
        self.catalogue.forget_all()

    def redis_state(self) -> RedisState:
        """Connection, breaker state, last error and latency of the Redis tier (one PING)."""
        if self._redis is None:
            return RedisState(False, None, False, "off", None, None, None, None)
        return self._redis.state(probe=True)

    def _need_redis(self) -> RedisTier:
        from ..errors import BackendUnavailable

        if self._redis is None:
            raise BackendUnavailable("Redis", "not configured", hint="Set redis.url in storeroom.yaml.")
        return self._redis

    def _admin(self, fn):  # noqa: ANN001, ANN202 - small adapter: Unavailable -> BackendUnavailable
        from ..errors import BackendUnavailable

        try:
            return fn(self._need_redis())
        except Unavailable as exc:
            raise BackendUnavailable("Redis", str(exc)) from None

    def redis_keys(self, cursor: int = 0, count: int = 100) -> KeyPage:
        """One SCAN step over our prefix only: key, TTL, type, size (MEMORY USAGE)."""
        return self._admin(lambda r: r.scan(cursor, count))

    def evict(self, key: str) -> bool:
        """Delete one Redis key (must start with our prefix, else ValidationError)."""
        return self._admin(lambda r: r.evict(key))

    def evict_all_preview(self) -> int:
        """How many keys :meth:`evict_all` would delete (SCAN count of our prefix)."""
        return self._admin(lambda r: r.count())

    def evict_all(self) -> int:
        """Delete every key under our prefix (SCAN + UNLINK in batches); returns the count."""
        return self._admin(lambda r: r.evict_all())

    def audit_entries(self, ident: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Audit entries of one skill (or all skills), newest first, including saves
        made a moment ago."""
        if ident is not None:
            return self.ws.audit.query(target=f"skill:{validate_id(ident)}", limit=limit)
        return self.ws.audit.query(target_prefix="skill:", limit=limit)

    def flush(self, timeout: float = 1.0) -> bool:
        """Wait until the saves' background work is done (old files closed, Redis writes
        sent); True if it was within ``timeout``."""
        deadline = time.monotonic() + timeout
        if not self._helper.drain(timeout):
            return False
        return True if self._redis is None else self._redis.flush(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Stop the background Redis writer and release files; safe to call twice."""
        self._audit.close()  # waits for a save's open audit transaction
        self._helper.close()
        if self._redis is not None:
            self._redis.close()
        self.catalogue.close()
        self._locks.close()
        self._feed.close()
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None


