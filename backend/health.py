"""Health of every storage backend: ok / degraded / down, latency, a detail line.

Checks run concurrently, each within a time budget, so one hung server cannot hold
up the report: a check that has not answered by the deadline is reported down.
"""

from __future__ import annotations

import concurrent.futures as cf
import enum
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


class Status(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class HealthCheck:
    """One backend's state. ``required`` backends being down make ``doctor`` fail."""

    name: str
    status: Status
    latency_ms: float | None
    detail: str
    required: bool = True
    facts: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["status"] = str(self.status)
        return data


@dataclass(frozen=True)
class HealthProbe:
    """A named check function; it returns (status, detail, facts) and may raise."""

    name: str
    run: Callable[[], tuple[Status, str, dict[str, object]]]
    required: bool = True
    # What a probe that misses the time budget means for this backend, and what then
    # goes on working (a silent Redis cache degrades; a silent database is down).
    when_silent: Status = Status.DOWN
    silent_note: str = ""


_executor = cf.ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


def run_checks(probes: list[HealthProbe], budget: float = 0.3) -> list[HealthCheck]:
    """Run every probe in parallel; whatever misses ``budget`` seconds is down."""
    started = time.perf_counter()

    def timed(probe: HealthProbe) -> HealthCheck:
        t0 = time.perf_counter()
        try:
            status, detail, facts = probe.run()
        except Exception as exc:  # noqa: BLE001 - any failure is a health fact, not a crash
            status, detail, facts = Status.DOWN, str(exc), {}
        return HealthCheck(probe.name, status, (time.perf_counter() - t0) * 1000, detail,
                           probe.required, facts)

    futures = [_executor.submit(timed, p) for p in probes]
    results: list[HealthCheck] = []
    for probe, future in zip(probes, futures, strict=True):
        remaining = budget - (time.perf_counter() - started)
        try:
            results.append(future.result(timeout=max(0.0, remaining)))
        except cf.TimeoutError:
            results.append(HealthCheck(
                probe.name, probe.when_silent, None,
                f"no answer within {budget * 1000:.0f} ms (hung or unreachable){probe.silent_note}",
                probe.required))
    return results


def overall(checks: list[HealthCheck]) -> Status:
    """Worst status among required checks; optional ones can only degrade."""
    if any(c.status is Status.DOWN and c.required for c in checks):
        return Status.DOWN
    if any(c.status is not Status.OK for c in checks):
        return Status.DEGRADED
    return Status.OK
