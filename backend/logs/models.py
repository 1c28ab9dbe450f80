"""Data models of the logs and metrics concerns (engine-independent)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import ValidationError
from .schema import STATUSES

FAILED_STATUSES = frozenset({"failure", "timeout"})


@dataclass(frozen=True)
class RunLog:
    """One finished workflow run. ``payload`` is a JSON object (steps, inputs, outputs)."""

    run_id: str
    workflow_id: str
    workflow_version: int
    status: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    error: str | None = None
    payload: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (timestamps as ISO-8601 strings)."""
        return {
            "run_id": self.run_id, "workflow_id": self.workflow_id,
            "workflow_version": self.workflow_version, "status": self.status,
            "started_at": self.started_at.isoformat(), "finished_at": self.finished_at.isoformat(),
            "duration_ms": self.duration_ms, "error": self.error, "payload": self.payload,
        }


@dataclass(frozen=True)
class LogFilter:
    """What to list: every field optional; results are newest first.

    ``cursor`` is the ``next_cursor`` of the previous :class:`Page` (keyset paging).
    ``with_payload=False`` skips loading payloads (tables that only show columns).
    """

    workflow_id: str | None = None
    workflow_version: int | None = None
    statuses: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    error_text: str | None = None
    limit: int = 50
    cursor: str | None = None
    with_payload: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.statuses) - set(STATUSES)
        if unknown:
            raise ValidationError(f"unknown status {sorted(unknown)[0]!r}", where="filter",
                                  hint=f"Use one of: {', '.join(STATUSES)}.")
        if not 1 <= int(self.limit) <= 10_000:
            raise ValidationError(f"limit {self.limit} out of range", where="filter",
                                  hint="Use a limit between 1 and 10000.")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValidationError(f"{name} is a naive datetime", where="filter",
                                      hint="Give a timezone (e.g. 2026-01-01T00:00:00+00:00).")
        if self.workflow_version is not None and self.workflow_id is None:
            raise ValidationError("a version needs a workflow", where="filter",
                                  hint="Give --workflow together with --version.")


@dataclass(frozen=True)
class Page:
    """One page of runs; ``next_cursor`` is None on the last page."""

    items: list[RunLog]
    next_cursor: str | None


def encode_cursor(started_at: str, run_id: str) -> str:
    """Opaque keyset cursor from the last row's sort key (UTC ISO text + run id)."""
    return base64.urlsafe_b64encode(f"{started_at}|{run_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        started_at, run_id = raw.split("|")
        datetime.fromisoformat(started_at)
        return started_at, run_id
    except Exception:  # noqa: BLE001 - any garbage is the same user error
        raise ValidationError("invalid cursor", where="filter",
                              hint="Pass the next_cursor of a previous page unchanged.") from None


@dataclass(frozen=True)
class Summary:
    """Aggregates of one workflow version (or all versions merged when version is None)."""

    workflow_id: str
    workflow_version: int | None
    executions: int
    successes: int
    failures: int
    timeouts: int
    cancelled: int
    total_duration_ms: int
    min_duration_ms: int | None
    max_duration_ms: int | None
    p50_ms: float | None
    p95_ms: float | None
    first_run_at: datetime | None
    last_run_at: datetime | None

    @property
    def mean_duration_ms(self) -> float | None:
        return self.total_duration_ms / self.executions if self.executions else None

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.executions if self.executions else None

    @property
    def failure_rate(self) -> float | None:
        """Share of failed or timed-out runs."""
        return (self.failures + self.timeouts) / self.executions if self.executions else None

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id, "workflow_version": self.workflow_version,
            "executions": self.executions, "successes": self.successes,
            "failures": self.failures, "timeouts": self.timeouts, "cancelled": self.cancelled,
            "success_rate": self.success_rate, "total_duration_ms": self.total_duration_ms,
            "mean_duration_ms": self.mean_duration_ms, "min_duration_ms": self.min_duration_ms,
            "max_duration_ms": self.max_duration_ms, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms,
            "first_run_at": self.first_run_at.isoformat() if self.first_run_at else None,
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
        }


@dataclass(frozen=True)
class SeriesPoint:
    """One hour of one workflow (all versions merged unless asked for one)."""

    hour: datetime
    executions: int
    successes: int
    total_duration_ms: int

    @property
    def mean_duration_ms(self) -> float:
        return self.total_duration_ms / self.executions if self.executions else 0.0

    @property
    def success_rate(self) -> float:
        return self.successes / self.executions if self.executions else 0.0


@dataclass(frozen=True)
class Pattern:
    """Something noticed in the runs (a regression, a recurring error...)."""

    id: int
    kind: str
    description: str
    evidence: dict[str, Any]
    detected_at: datetime
    workflow_id: str | None = None
    workflow_version: int | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class RetentionPolicy:
    """Which runs go: older than ``max_age``; beyond the newest ``max_count`` per workflow.

    Failed and timed-out runs younger than ``keep_failures_for`` always stay.
    """

    max_age: timedelta | None = None
    max_count: int | None = None
    keep_failures_for: timedelta | None = None

    def __post_init__(self) -> None:
        if self.max_age is None and self.max_count is None:
            raise ValidationError("a retention policy needs max_age or max_count",
                                  hint="Give --max-age (e.g. 30d) or --max-count.")
        if self.max_count is not None and self.max_count < 1:
            raise ValidationError("max_count must be at least 1", hint="Give a positive count.")

    def to_json(self) -> dict[str, Any]:
        return {
            "max_age_s": self.max_age.total_seconds() if self.max_age else None,
            "max_count": self.max_count,
            "keep_failures_for_s": (self.keep_failures_for.total_seconds()
                                    if self.keep_failures_for else None),
        }


@dataclass(frozen=True)
class RetentionPreview:
    """What a policy would delete: totals and counts per workflow and per status."""

    total: int
    by_workflow: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    oldest: datetime | None = None
    newest: datetime | None = None


@dataclass(frozen=True)
class RetentionResult:
    """What a retention run did."""

    deleted: int
    archive: str | None
    batches: int
    preview: RetentionPreview
