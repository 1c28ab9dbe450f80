"""Per-tier counters and latency samples (a bounded ring, percentiles on demand)."""

from __future__ import annotations

from collections import deque

from .results import TIERS, Tier

SAMPLES = 2048


class TierCounters:
    """Hits, misses, errors and recent latencies (ns) of one tier. Not locked: counters
    are updated under the GIL and read approximately, which is all a dashboard needs."""

    __slots__ = ("errors", "hits", "misses", "samples")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self.samples: deque[int] = deque(maxlen=SAMPLES)

    def percentiles(self) -> tuple[float | None, float | None, float | None]:
        data = sorted(self.samples)
        if not data:
            return None, None, None

        def pick(q: float) -> float:
            return data[min(len(data) - 1, int(q * len(data)))] / 1000.0

        return pick(0.50), pick(0.95), pick(0.99)


class Counters:
    def __init__(self) -> None:
        self.tiers: dict[Tier, TierCounters] = {tier: TierCounters() for tier in TIERS}
