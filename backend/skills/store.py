"""SkillStore: skills as JSON files, read through memory -> Redis -> disk.

Disk is the source of truth. Every read checks the file's fingerprint (one ``os.stat``:
mtime_ns, size, inode) against the cached copy, so a file changed behind our back is
never served stale; a copy read within a clock tick of its mtime is re-verified ("racy",
as git does it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .model import Skill
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

if TYPE_CHECKING:
    from ..workspace import Workspace

Expected = int | str | None


class SkillStore:
    """The skills library of one workspace (``ws.skills``). Thread-safe.

    Errors: ``NotFound`` (no such skill), ``InvalidSkill`` (file exists but is unusable;
    carries reason, hash, raw bytes), ``ValidationError`` (bad id / bad skill),
    ``SkillConflict`` (a ``Conflict``: the file changed since ``expected``; carries
    ``mine``, ``theirs`` (Skill or None), ``theirs_hash``, ``theirs_raw``).
    """

    def __init__(self, ws: Workspace) -> None:
        raise NotImplementedError

    # -- reads ----------------------------------------------------------------------
    def get(self, ident: str) -> Skill:
        """The skill ``ident``, from the fastest tier holding the current file version."""
        raise NotImplementedError

    def get_with_tier(self, ident: str) -> Served:
        """Like :meth:`get`, plus the tier that served it, its content hash and size."""
        raise NotImplementedError

    def get_many(self, ids: Iterable[str]) -> dict[str, Skill]:
        """Several skills at once (one Redis MGET for the memory misses); missing or
        invalid ids are left out."""
        raise NotImplementedError

    def exists(self, ident: str) -> bool:
        """True if ``skills/<ident>.json`` exists (valid or not)."""
        raise NotImplementedError

    def list(self, offset: int = 0, limit: int = 50, sort: SortKey = "id", descending: bool = False,
             tag: str | None = None, text: str | None = None) -> Page:
        """A page of valid skills. ``tag`` matches a tag exactly; ``text`` is a
        case-insensitive substring of id, name, description or tags."""
        raise NotImplementedError

    def invalid(self) -> list[InvalidFile]:
        """Files in skills/ that are not usable skills, with the reason (sorted by name)."""
        raise NotImplementedError

    def tags(self) -> dict[str, int]:
        """Every tag in use with its number of skills."""
        raise NotImplementedError

    # -- writes ---------------------------------------------------------------------
    def put(self, skill: Skill, expected: Expected = None) -> Skill:
        """Save ``skill`` durably; returns it as written (version bumped, timestamps set).

        ``expected`` is what the editor started from: the version (int) or content
        hash (``"sha256:..."``). None means "create": if the file exists, that is a
        conflict. A file changed meanwhile raises ``SkillConflict``; an invalid file
        is only overwritten when ``expected`` is its hash. Cache failures never fail a save.
        """
        raise NotImplementedError

    def delete(self, ident: str, expected: Expected = None) -> None:
        """Delete the file (and every cached copy). ``expected`` as for :meth:`put`;
        None deletes whatever is there. Raises ``NotFound`` if there is no file."""
        raise NotImplementedError

    def import_folder(self, folder: str | Path, *, overwrite: bool = False) -> ImportReport:
        """Import every ``*.json`` skill of ``folder`` (versions kept as in the files).

        Identical skills are skipped; a different existing one is skipped unless
        ``overwrite``. Bad files are reported in ``errors``; nothing else changes.
        """
        raise NotImplementedError

    def export_folder(self, folder: str | Path) -> ExportReport:
        """Write every valid skill to ``folder/<id>.json`` (canonical bytes, atomic)."""
        raise NotImplementedError

    # -- tiers and cache ------------------------------------------------------------
    def tier_view(self, ident: str) -> TierView:
        """What memory, Redis and disk each hold for ``ident`` (stale copies flagged)."""
        raise NotImplementedError

    def stats(self) -> dict[str, TierStats]:
        """Per tier (``memory``, ``redis``, ``disk``): hits, misses, latency, size."""
        raise NotImplementedError

    def invalidate(self, ident: str) -> None:
        """Drop ``ident`` from memory and Redis (the watcher calls this on file events)."""
        raise NotImplementedError

    def invalidate_all(self) -> None:
        """Drop every memory entry and mark the catalogue for a full rescan."""
        raise NotImplementedError

    def redis_state(self) -> RedisState:
        """Connection, breaker state, last error and latency of the Redis tier."""
        raise NotImplementedError

    def redis_keys(self, cursor: int = 0, count: int = 100) -> KeyPage:
        """One SCAN step over our prefix only: key, TTL, type, size."""
        raise NotImplementedError

    def evict(self, key: str) -> bool:
        """Delete one Redis key (must start with our prefix, else ValidationError)."""
        raise NotImplementedError

    def evict_all_preview(self) -> int:
        """How many keys :meth:`evict_all` would delete (SCAN count of our prefix)."""
        raise NotImplementedError

    def evict_all(self) -> int:
        """Delete every key under our prefix (SCAN + UNLINK in batches); returns the count."""
        raise NotImplementedError

    def flush(self, timeout: float = 1.0) -> bool:
        """Wait until queued Redis writes are sent; True if the queue drained."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the background Redis writer and release files; safe to call twice."""
        raise NotImplementedError
