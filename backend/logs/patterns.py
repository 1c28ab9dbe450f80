"""Simple pattern detection over the aggregates and recent failures.

* ``failure-rate-regression``: a version fails much more often than the version before
  it (at least twice the rate and 10 points more, with enough runs on both).
* ``latency-regression``: a version's p95 is at least 1.5x the previous version's.
* ``recurring-error``: the same error message in many failed runs of the last week.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from .engine import Engine, utc_now
from .models import Summary

AUTO_KINDS = ("failure-rate-regression", "latency-regression", "recurring-error")
MIN_RUNS = 20
RECENT = timedelta(days=7)
MIN_REPEATS = 5


def _regressions(versions: list[Summary], at: datetime) -> list[dict[str, Any]]:
    found = []
    for prev, cur in zip(versions, versions[1:], strict=False):
        if prev.executions < MIN_RUNS or cur.executions < MIN_RUNS:
            continue
        wf, v, pv = cur.workflow_id, cur.workflow_version, prev.workflow_version
        fr, pfr = cur.failure_rate or 0.0, prev.failure_rate or 0.0
        if fr >= 2 * pfr and fr - pfr >= 0.10:
            found.append({
                "kind": "failure-rate-regression", "workflow_id": wf, "workflow_version": v,
                "description": f"v{v} fails {fr:.0%} of runs, v{pv} failed {pfr:.0%}",
                "evidence": {"version": v, "previous": pv, "failure_rate": round(fr, 4),
                             "previous_failure_rate": round(pfr, 4), "runs": cur.executions,
                             "previous_runs": prev.executions},
                "detected_at": at, "fingerprint": f"failure-rate-regression:{wf}:{v}"})
        # Latency only means something when most runs complete: a version that always
        # fails early is "fast" and would make its successor look slow.
        mostly_ok = min(prev.success_rate or 0, cur.success_rate or 0) >= 0.5
        if mostly_ok and cur.p95_ms and prev.p95_ms and cur.p95_ms >= 1.5 * prev.p95_ms:
            found.append({
                "kind": "latency-regression", "workflow_id": wf, "workflow_version": v,
                "description": f"v{v} p95 {cur.p95_ms:,.0f} ms, v{pv} was {prev.p95_ms:,.0f} ms",
                "evidence": {"version": v, "previous": pv, "p95_ms": cur.p95_ms,
                             "previous_p95_ms": prev.p95_ms},
                "detected_at": at, "fingerprint": f"latency-regression:{wf}:{v}"})
    return found


def detect(engine: Engine, now: datetime | None = None) -> list[dict[str, Any]]:
    """Keyword arguments for ``record_pattern``, one dict per pattern found."""
    at = now or utc_now()
    by_workflow: dict[str, list[Summary]] = {}
    for summary in engine.summaries():
        by_workflow.setdefault(summary.workflow_id, []).append(summary)
    found: list[dict[str, Any]] = []
    for versions in by_workflow.values():
        versions.sort(key=lambda s: s.workflow_version or 0)
        found += _regressions(versions, at)
    latest = engine.latest_started() or at
    for wf, error, count in engine.recurring_errors(latest - RECENT, MIN_REPEATS):
        digest = hashlib.sha1(error.encode()).hexdigest()[:16]
        short = error if len(error) <= 80 else error[:77] + "..."
        found.append({
            "kind": "recurring-error", "workflow_id": wf, "workflow_version": None,
            "description": f"{count} failed runs in the last 7 days: {short}",
            "evidence": {"error": error, "count": count, "window_days": RECENT.days},
            "detected_at": at, "fingerprint": f"recurring-error:{wf}:{digest}"})
    return found
