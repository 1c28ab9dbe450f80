"""Tier inspection: what each tier holds for a skill, and per-tier statistics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .files import TooLarge, read_file
from .redis_tier import Unavailable, decode
from .results import TIERS, TierCopy, TierStats, TierView

if TYPE_CHECKING:
    from .store import SkillStore


def _version(raw: bytes) -> int | None:
    try:
        value = json.loads(raw).get("version")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def tier_view(store: SkillStore, ident: str) -> TierView:
    disk = None
    disk_error = None
    try:
        read = read_file(store._path(ident), store.max_bytes)
        disk = TierCopy(read.hash, _version(read.raw), len(read.raw))
        try:
            from .catalogue import check_file

            check_file(ident + ".json", read)
        except Exception as exc:  # noqa: BLE001 - any validation failure is shown as text
            disk_error = getattr(exc, "message", str(exc))
    except FileNotFoundError:
        disk_error = "no file"
    except TooLarge as exc:
        disk_error = str(exc)
    disk_hash = disk.hash if disk else None
    entry = store._mem.peek(ident)
    memory = None
    if entry is not None:
        memory = TierCopy(entry.hash, entry.skill.version, entry.size, stale=entry.hash != disk_hash)
    redis = None
    redis_error = None
    if store._redis is None:
        redis_error = "not configured"
    else:
        store._redis.flush(0.2)
        try:
            value, ttl = store._redis.inspect(ident)
        except Unavailable as exc:
            redis_error = f"unavailable ({exc})"
        else:
            if value is not None:
                cached = decode(value)
                if cached is None:
                    redis_error = "holds a value storeroom cannot read (it will be replaced)"
                else:
                    redis = TierCopy(cached.hash, _version(cached.raw), len(cached.raw),
                                     stale=cached.hash != disk_hash, ttl=ttl)
    return TierView(ident, memory, redis, disk, redis_error, disk_error)


def tier_stats(store: SkillStore) -> dict[str, TierStats]:
    out: dict[str, TierStats] = {}
    rows = store.catalogue._rows
    for tier in TIERS:
        c = store._stats.tiers[tier]
        p50, p95, p99 = c.percentiles()
        if tier == "memory":
            entries, size = store._mem.entries, store._mem.bytes
        elif tier == "disk":
            entries = len(rows)
            size = sum(r.summary.size for r in list(rows.values()) if r.summary is not None)
        else:
            entries = size = None
        out[tier] = TierStats(tier, c.hits, c.misses, c.errors, p50, p95, p99, entries, size)
    return out
