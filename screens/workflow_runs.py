"""Run history and success rate of a workflow version, from the logs and metrics concerns.

Those concerns may be missing from a build or unreachable: every such case becomes a
plain sentence in the panel, never an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from backend.errors import NotFound, StorageError

log = logging.getLogger(__name__)
UNAVAILABLE = "execution logs are not available in this build"


@dataclass(frozen=True)
class RunHistory:
    """The version's summary (None: no runs), all versions merged, and its latest runs."""

    version: Any
    overall: Any
    recent: list[Any]


def _summary(metrics: Any, workflow_id: str, version: int | None) -> Any:
    try:
        return metrics.get_summary(workflow_id, version)
    except NotFound:
        return None


def fetch_runs(ws: Any, workflow_id: str, version: int, limit: int = 4) -> RunHistory | str:
    """The run history of one version, or a sentence saying why there is none."""
    try:
        metrics, logs = ws.metrics, ws.logs
        history = RunHistory(_summary(metrics, workflow_id, version),
                             _summary(metrics, workflow_id, None),
                             list(logs.get_recent(workflow_id, version, limit)))
    except (ImportError, AttributeError, NotImplementedError) as exc:
        log.debug("run history unavailable: %s", exc)
        return UNAVAILABLE
    except StorageError as exc:
        return f"run history unavailable: {exc}"
    return history


def _rate(summary: Any) -> Text:
    rate = summary.success_rate or 0.0
    style = "green" if rate >= 0.95 else ("yellow" if rate >= 0.8 else "red")
    return Text.assemble((f"{rate:.1%}", f"bold {style}"), f" of {summary.executions:,} runs")


def render_runs(result: RunHistory | str) -> Text:
    if isinstance(result, str):
        return Text(result, style="dim")
    out = Text()
    if result.version is None or not result.version.executions:
        out.append("no runs of this version yet", style="dim")
    else:
        out.append("this version ", style="bold")
        out.append_text(_rate(result.version))
        if result.version.p50_ms is not None:
            out.append(f", p50 {result.version.p50_ms:,.0f} ms")
    if result.overall is not None and result.overall.executions:
        out.append("\nall versions ", style="bold")
        out.append_text(_rate(result.overall))
    for run in result.recent:
        mark = "green" if run.status == "success" else "red"
        out.append(f"\n{run.started_at.strftime('%m-%d %H:%M')} ", style="dim")
        out.append(f"{run.status:<9}", style=mark)
        out.append(f" {run.duration_ms:>7,} ms")
        if run.error:
            out.append(f"  {run.error[:30]}", style="dim")
    return out
