"""Formatting for the Logs screen: table cells and the detail pane of one run."""

from __future__ import annotations

import json

from rich.text import Text

from backend.logs import RunLog

STATUS_STYLE = {"success": "green", "failure": "bold red", "timeout": "yellow",
                "cancelled": "dim"}


def human_ms(ms: int | float | None) -> str:
    """1234 -> '1.2 s', 95000 -> '1m 35s'; short and stable for tables."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def row_cells(run: RunLog) -> tuple[object, ...]:
    """The table cells of one run (times in UTC, so every viewer sees the same)."""
    error = (run.error or "").replace("\n", " ")
    return (run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{run.workflow_id} v{run.workflow_version}", status_text(run.status),
            human_ms(run.duration_ms),
            Text(error[:60] + ("…" if len(error) > 60 else ""), style="red" if error else ""))


def detail_header(run: RunLog) -> Text:
    out = Text.assemble((f"{run.workflow_id} v{run.workflow_version}", "bold"), "  ",
                        status_text(run.status), "  ", (human_ms(run.duration_ms), "bold"))
    out.append(f"\nrun {run.run_id}", style="dim")
    start, end = run.started_at, run.finished_at
    out.append(f"\n{start:%Y-%m-%d %H:%M:%S}.{start.microsecond // 1000:03d} → "
               f"{end:%H:%M:%S}.{end.microsecond // 1000:03d} UTC", style="dim")
    if run.error:
        out.append(f"\n{run.error}", style="red")
    return out


def payload_json(run: RunLog) -> str:
    return json.dumps(run.payload or {}, indent=2, ensure_ascii=False)
