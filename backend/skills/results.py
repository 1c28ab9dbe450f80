"""Value objects the skill store returns (pages, reports, tier views, cache state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from .model import Skill

Tier = Literal["memory", "redis", "disk"]
TIERS: tuple[Tier, ...] = ("memory", "redis", "disk")
SortKey = Literal["id", "name", "updated_at", "version"]


class HasHash(Protocol):
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class SkillSummary:
    """One catalogue row: what a list needs without the code."""

    id: str
    name: str
    description: str
    tags: tuple[str, ...]
    version: int
    created_at: str | None
    updated_at: str | None
    hash: str
    size: int


@dataclass(frozen=True)
class InvalidFile:
    """A file in skills/ that is not a usable skill, and why."""

    id: str          # the file name without ``.json`` (may itself be an invalid id)
    filename: str
    reason: str
    hash: str | None  # content hash (``stat:...`` token if too large to read): ``expected`` to overwrite it
    size: int


@dataclass(frozen=True)
class Page:
    """One page of the catalogue. ``total`` counts every valid match, not just this page."""

    items: list[SkillSummary]
    total: int
    offset: int
    limit: int
    invalid: int = 0  # invalid files in the folder (see ``SkillStore.invalid()``)
    # False for the quick first page shown while the catalogue loads: ``total`` then
    # counts files not yet checked; a ``skills.catalogue`` event follows when it is exact.
    complete: bool = True


class Served:
    """A skill with where it came from: ``tier`` is memory, redis or disk; ``hash`` is
    the content hash of the file bytes (computed on first use), ``size`` their length."""

    __slots__ = ("_hash", "size", "skill", "tier")

    def __init__(self, skill: Skill, tier: Tier, hash: str | HasHash, size: int) -> None:  # noqa: A002
        self.skill = skill
        self.tier = tier
        self._hash = hash
        self.size = size

    @property
    def hash(self) -> str:
        if not isinstance(self._hash, str):
            self._hash = self._hash.hash
        return self._hash

    def __repr__(self) -> str:
        return f"Served(id={self.skill.id!r}, tier={self.tier!r}, hash={self.hash!r}, size={self.size})"


@dataclass(frozen=True)
class ImportReport:
    """Outcome of ``import_folder``; ``imported`` is a count, ``ids`` the skills written."""

    imported: int = 0
    ids: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (id, why)
    errors: list[tuple[str, str]] = field(default_factory=list)    # (file name, reason)


@dataclass(frozen=True)
class ExportReport:
    exported: int
    folder: str


@dataclass(frozen=True)
class TierCopy:
    """What one tier holds for a skill. ``stale`` is True when it differs from disk."""

    hash: str
    version: int | None
    size: int
    stale: bool = False
    ttl: float | None = None  # seconds left (Redis only)


@dataclass(frozen=True)
class TierView:
    """A skill as each tier holds it, so drift is visible.

    ``redis`` is None when Redis holds nothing; ``redis_error`` says why it could not be
    asked (not configured, breaker open, down). ``disk_error`` is the reason a file is invalid.
    """

    id: str
    memory: TierCopy | None
    redis: TierCopy | None
    disk: TierCopy | None
    redis_error: str | None = None
    disk_error: str | None = None


@dataclass(frozen=True)
class TierStats:
    """Counters and latency percentiles (microseconds) of one tier since open."""

    tier: Tier
    hits: int
    misses: int
    errors: int
    p50_us: float | None
    p95_us: float | None
    p99_us: float | None
    entries: int | None
    bytes: int | None

    @property
    def hit_ratio(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


@dataclass(frozen=True)
class RedisState:
    """The Redis tier's connection: ``breaker`` is closed (healthy), open or half-open."""

    configured: bool
    url: str | None          # password masked
    connected: bool
    breaker: Literal["closed", "open", "half-open", "off"]
    last_error: str | None
    last_error_at: float | None   # time.time()
    retry_in: float | None        # seconds until the next probe while open
    latency_ms: float | None      # last successful round trip
    used_memory: str | None = None
    keys: int | None = None       # our keys (counted lazily; None if unknown)
    pending_writes: int = 0


@dataclass(frozen=True)
class RedisKey:
    """One of our keys: ``ttl`` seconds (-1 none, -2 gone), ``size`` in bytes."""

    key: str
    ttl: int
    type: str
    size: int | None


@dataclass(frozen=True)
class KeyPage:
    keys: list[RedisKey]
    cursor: int  # 0 when the scan is complete
