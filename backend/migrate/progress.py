"""Progress of a migration: rows, rows/s and ETA per table and overall, through a callback."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TableProgress:
    table: str
    done: int
    total: int
    quarantined: int = 0
    finished: bool = False


@dataclass(frozen=True)
class Progress:
    """One snapshot; ``phase`` is ``copy``, ``index``, ``verify`` or ``done``."""

    phase: str
    table: str
    done: int
    total: int
    rows_per_s: float
    eta_s: float | None
    elapsed_s: float
    tables: tuple[TableProgress, ...] = field(default_factory=tuple)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 1.0


ProgressCallback = Callable[[Progress], None]


class Tracker:
    """Turns per-batch counts into :class:`Progress` snapshots for a callback."""

    def __init__(self, totals: dict[str, int], callback: ProgressCallback | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.totals = totals
        self.done = dict.fromkeys(totals, 0)
        self.quarantined = dict.fromkeys(totals, 0)
        self.finished: set[str] = set()
        self.callback = callback
        self.clock = clock
        self.start = clock()
        self._moved = 0  # rows copied by this process (resumed rows don't count for the rate)

    def resume(self, table: str, done: int, quarantined: int) -> None:
        self.done[table] = done + quarantined
        self.quarantined[table] = quarantined

    def advance(self, table: str, rows: int, quarantined: int = 0, phase: str = "copy") -> None:
        self.done[table] += rows + quarantined
        self.quarantined[table] += quarantined
        self._moved += rows + quarantined
        self.emit(phase, table)

    def finish(self, table: str, phase: str = "index") -> None:
        self.finished.add(table)
        self.emit(phase, table)

    def snapshot(self, phase: str, table: str) -> Progress:
        elapsed = max(1e-6, self.clock() - self.start)
        rate = self._moved / elapsed
        total, done = sum(self.totals.values()), sum(self.done.values())
        eta = (total - done) / rate if rate > 0 and total >= done else None
        tables = tuple(TableProgress(t, self.done[t], self.totals[t], self.quarantined[t],
                                     t in self.finished) for t in self.totals)
        return Progress(phase, table, done, total, rate, eta, elapsed, tables)

    def emit(self, phase: str, table: str) -> None:
        if self.callback is not None:
            self.callback(self.snapshot(phase, table))
