"""Metrics screen helpers: text sparklines, table cells and the plotext chart."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text

from backend.logs import Pattern, SeriesPoint, Summary

from .log_detail import human_ms

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> Text:
    """One character per value, scaled to the largest; zero shows as a dim dot."""
    top = max(values, default=0)
    out = Text()
    for v in values:
        if v <= 0 or top <= 0:
            out.append("·", style="dim")
        else:
            out.append(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))])
    return out


def rate_text(rate: float | None) -> Text:
    if rate is None:
        return Text("—")
    style = "green" if rate >= 0.95 else ("yellow" if rate >= 0.8 else "bold red")
    return Text(f"{rate:.1%}", style=style)


def summary_cells(s: Summary, daily: list[SeriesPoint] | None, days: int) -> tuple[Any, ...]:
    version = f"v{s.workflow_version}" if s.workflow_version is not None else "all"
    spark = sparkline([p.executions for p in daily] if daily else [0] * days)
    return (s.workflow_id, version, f"{s.executions:,}", rate_text(s.success_rate),
            human_ms(s.p50_ms), human_ms(s.p95_ms), spark)


def merge_days(axis: list[date], series: list[list[SeriesPoint]]) -> list[SeriesPoint]:
    """Sum several versions' daily points into one series over the same axis."""
    out = []
    for i, _day in enumerate(axis):
        points = [s[i] for s in series]
        out.append(SeriesPoint(points[0].hour, sum(p.executions for p in points),
                               sum(p.successes for p in points),
                               sum(p.total_duration_ms for p in points)))
    return out


def draw(plt: Any, title: str, axis: list[date], points: list[SeriesPoint]) -> None:
    """Mean duration (s, left axis) and success rate (%, right axis) per day."""
    plt.clear_figure()
    if not any(p.executions for p in points):
        plt.title(f"{title.split(':')[0]}: no runs in the last {len(axis)} days")
        return
    plt.title(title)
    xs = list(range(len(axis)))
    with_runs = [(x, p) for x, p in zip(xs, points, strict=True) if p.executions]
    if with_runs:
        px = [x for x, _ in with_runs]
        plt.plot(px, [round(p.mean_duration_ms / 1000, 2) for _, p in with_runs],
                 label="mean duration (s)", marker="braille")
        plt.plot(px, [round(p.success_rate * 100, 1) for _, p in with_runs],
                 label="success %", yside="right", marker="braille")
    plt.xlim(0, len(axis) - 1)
    step = max(1, len(axis) // 7)
    plt.xticks(xs[::step], [d.strftime("%m-%d") for d in axis[::step]])


_KIND_ORDER = {"failure-rate-regression": 0, "latency-regression": 1, "recurring-error": 2}


def patterns_text(patterns: list[Pattern]) -> Text:
    """Regressions first, then recurring errors; each with its workflow and what was seen."""
    if not patterns:
        return Text("nothing unusual detected", style="dim")
    ordered = sorted(patterns, key=lambda p: (_KIND_ORDER.get(p.kind, 9), p.workflow_id or "",
                                              p.workflow_version or 0, p.id))
    out = Text()
    for p in ordered:
        style = "bold red" if p.kind.endswith("regression") else "yellow"
        where = f"{p.workflow_id or ''} v{p.workflow_version}" if p.workflow_version else (p.workflow_id or "")
        if out:
            out.append("\n")
        out.append("● ", style=style)
        out.append(f"{where}", style="bold")
        out.append(f"  {p.kind}\n", style=style)
        out.append(f"  {p.description}", style="")
    return out
