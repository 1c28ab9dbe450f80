"""Run history and success rate of a workflow version, when logs and metrics exist.

The logs concern may not be part of this build: every failure to reach it becomes a
plain sentence, never an error.
"""

from __future__ import annotations

import logging
from typing import Any

from rich.text import Text

from backend.errors import StorageError

log = logging.getLogger(__name__)
UNAVAILABLE = "execution logs are not available in this build"


def fetch_runs(ws: Any, workflow_id: str, version: int, limit: int = 5) -> tuple[Any, list[Any]] | str:
    """(summary, recent runs) for the version, or a sentence saying why there are none."""
    try:
        metrics, logs = ws.metrics, ws.logs
    except (ImportError, AttributeError):
        return UNAVAILABLE
    try:
        summary = metrics.get_summary(workflow_id, version)
        recent = list(logs.get_recent(workflow_id, version, limit))
    except (ImportError, AttributeError, TypeError, NotImplementedError) as exc:
        log.debug("run history unavailable: %s", exc)
        return UNAVAILABLE
    except StorageError as exc:
        return f"run history unavailable: {exc}"
    return summary, recent


def render_runs(result: tuple[Any, list[Any]] | str) -> Text:
    if isinstance(result, str):
        return Text(result, style="dim")
    summary, recent = result
    executions = getattr(summary, "executions", 0) if summary is not None else 0
    if not executions:
        return Text("no runs of this version yet", style="dim")
    rate = summary.success_rate or 0.0
    style = "green" if rate >= 0.95 else ("yellow" if rate >= 0.8 else "red")
    out = Text.assemble(("success ", "bold"), (f"{rate:.1%}", f"bold {style}"),
                        f" of {executions:,} runs")
    p50 = getattr(summary, "p50_ms", None)
    if p50 is not None:
        out.append(f", p50 {p50:,.0f} ms")
    out.append("\n")
    for run in recent:
        when = run.started_at.strftime("%m-%d %H:%M")
        mark = "green" if run.status == "success" else "red"
        out.append(f"{when} ", style="dim")
        out.append(f"{run.status:<9}", style=mark)
        out.append(f" {run.duration_ms:>7,} ms")
        if run.error:
            out.append(f"  {run.error[:40]}", style="dim")
        out.append("\n")
    return out
