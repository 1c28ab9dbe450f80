"""Renderers for the Cache screen: memory stats, the Redis connection, hit-ratio history."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text

from backend.humanize import human_bytes
from backend.skills.results import TIERS, RedisState, TierStats

BLOCKS = "▁▂▃▄▅▆▇█"
HISTORY = 60  # samples kept per tier (3 minutes at the default 3 s interval)


def format_micros(value: float | None) -> str:
    """A latency in microseconds, as µs below 1 ms."""
    if value is None:
        return "—"
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.1f} µs"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def tier_table(stats: TierStats, micros: Callable[[float | None], str] = format_micros, *,
               max_entries: int | None = None, max_bytes: int | None = None,
               errors: Callable[[int], str] = "{:,}".format) -> Table:
    """Counters of one tier as a two-column grid (sizes only where the tier knows them)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if stats.entries is not None:
        cap = f" of {max_entries:,}" if max_entries is not None else ""
        grid.add_row("entries", f"{stats.entries:,}{cap}")
    if stats.bytes is not None:
        cap = f" of {human_bytes(max_bytes)}" if max_bytes is not None else ""
        grid.add_row("size", f"{human_bytes(stats.bytes)}{cap}")
    grid.add_row("hits", f"{stats.hits:,}")
    grid.add_row("misses", f"{stats.misses:,}")
    grid.add_row("hit ratio", _ratio(stats.hit_ratio))
    grid.add_row("errors", errors(stats.errors))
    grid.add_row("p50 / p95", f"{micros(stats.p50_us)} / {micros(stats.p95_us)}")
    return grid


def redis_summary(state: RedisState, error: str, breaker: str) -> Text:
    """One plain paragraph: healthy, not configured, or down with what to do next."""
    if not state.configured:
        return Text.assemble(
            ("Redis is not configured. ", "bold"),
            "Skills are served from memory and disk; nothing is lost without it.\n"
            "To add the shared cache tier, set ", ("redis.url", "bold"),
            " in storeroom.yaml (or STOREROOM_REDIS_URL), then restart storeroom.")
    if not state.connected or state.breaker == "open":
        return Text.assemble(
            ("Redis is unreachable. ", "bold red"),
            f"Breaker {breaker}. Reads and writes go on from memory and disk.\n",
            ("Last error: ", "bold"), f"{error}\n",
            "Start the server (e.g. `redis-server`) or fix ", ("redis.url", "bold"),
            " in storeroom.yaml; storeroom reconnects by itself.")
    return Text.assemble(("Redis is connected. ", "bold green"),
                         f"Breaker {breaker}; skills are cached with a TTL.")


@dataclass
class RatioHistory:
    """Per-tier hit ratio per sampling interval (the change in hits and misses since the
    previous sample); an idle interval repeats the previous value."""

    samples: dict[str, deque[float]] = field(
        default_factory=lambda: {tier: deque(maxlen=HISTORY) for tier in TIERS})
    _last: dict[str, tuple[int, int]] = field(default_factory=dict)
    lookups: dict[str, int] = field(default_factory=dict)

    def add(self, stats: dict[str, TierStats]) -> None:
        for tier in stats.values():
            hits, misses = self._last.get(tier.tier, (0, 0))
            d_hits, d_misses = tier.hits - hits, tier.misses - misses
            self._last[tier.tier] = (tier.hits, tier.misses)
            if d_hits < 0 or d_misses < 0:  # counters were reset
                d_hits, d_misses = tier.hits, tier.misses
            series = self.samples[tier.tier]
            self.lookups[tier.tier] = d_hits + d_misses
            if d_hits + d_misses:
                series.append(d_hits / (d_hits + d_misses))
            elif series:
                series.append(series[-1])

    def spark(self, tier: str, width: int) -> Text:
        """The last ``width`` samples as blocks on a fixed 0-100 % scale (▁ none, █ all)."""
        series = list(self.samples[tier])[-width:]
        if not series:
            return Text("·" * width, style="dim")
        blocks = "".join(BLOCKS[min(len(BLOCKS) - 1, int(v * (len(BLOCKS) - 1) + 0.5))]
                         for v in series)
        return Text(blocks.rjust(width, " "), style="green" if series[-1] >= 0.5 else "yellow")

    def label(self, tier: str) -> str:
        series = self.samples[tier]
        last = f"{series[-1]:.0%}" if series else "no lookups yet"
        return f"{tier:<7} {last:>14}"
