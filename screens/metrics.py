"""Metrics: per workflow version runs, success rate, p50/p95 and a 14-day sparkline;
a plot of duration and success over time for the selected row; detected patterns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from backend.logs import Pattern, SeriesPoint, Summary
from tui.workers import run_backend

from .metric_chart import draw, merge_days, patterns_text, summary_cells

DAYS = 14


@dataclass
class MetricsData:
    summaries: list[Summary]
    merged: list[Summary]  # one per workflow, histograms merged (true percentiles)
    axis: list[date]
    daily: dict[tuple[str, int], list[SeriesPoint]]


class MetricsScreen(Screen):
    """Highlight a row to plot it; ``v`` switches between versions and whole workflows."""

    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="metrics.refresh"),
        Binding("d", "detect", "Detect patterns", id="metrics.detect"),
        Binding("v", "toggle_versions", "Versions/workflows", id="metrics.versions"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._by_version = True
        self._data: MetricsData | None = None
        self._plotted: tuple[str, int | None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="metrics-top", classes="panel"):
            yield Static("Workflow versions — runs, success rate, latency, runs per day (14 days)",
                         classes="panel-title", id="metrics-title")
            yield DataTable(id="metrics-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="metrics-bottom"):
            yield PlotextPlot(id="metrics-plot")
            with Vertical(id="metrics-patterns-panel", classes="panel"):
                yield Static("Detected patterns (d: detect again)", classes="panel-title")
                with VerticalScroll(id="metrics-patterns-scroll"):
                    yield Static("detecting…", id="metrics-patterns")
        yield Static("loading…", id="metrics-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#metrics-table", DataTable)
        for label in ("workflow", "ver", "runs", "success", "p50", "p95", f"runs/day ({DAYS}d)"):
            table.add_column(label, key=label)
        table.focus()
        self.action_refresh()
        self.action_detect()

    # -- loading ------------------------------------------------------------------
    def action_refresh(self) -> None:
        ws = self.app.ws  # ws.metrics opens lazily: touch it only inside workers

        def load() -> MetricsData:
            metrics = ws.metrics
            axis, daily = metrics.get_daily(DAYS)
            return MetricsData(metrics.list_summaries(),
                               metrics.list_summaries(merge_versions=True), axis, daily)

        run_backend(self, load, name="metrics-load", group="metrics-load", exclusive=True,
                    done=self._show)
        run_backend(self, lambda: ws.metrics.get_patterns(), name="patterns", group="metrics-patterns",
                    exclusive=True, done=self._show_patterns)

    def action_detect(self) -> None:
        ws = self.app.ws

        def detect() -> list[Pattern]:
            ws.metrics.detect_patterns()
            return ws.metrics.get_patterns()

        run_backend(self, detect, name="pattern-detection", group="metrics-patterns",
                    done=self._show_patterns)

    def action_toggle_versions(self) -> None:
        self._by_version = not self._by_version
        if self._data is not None:
            self._show(self._data)

    def _rows(self, data: MetricsData) -> list[tuple[Summary, list[SeriesPoint] | None]]:
        if self._by_version:
            return [(s, data.daily.get((s.workflow_id, s.workflow_version or 0)))
                    for s in data.summaries]
        out = []
        for summary in data.merged:
            series = [v for (w, _), v in data.daily.items() if w == summary.workflow_id]
            out.append((summary, merge_days(data.axis, series) if series else None))
        return out

    def _show(self, data: MetricsData) -> None:
        self._data = data
        table = self.query_one("#metrics-table", DataTable)
        table.clear()
        rows = self._rows(data)
        for summary, daily in rows:
            key = f"{summary.workflow_id}|{summary.workflow_version or ''}"
            table.add_row(*summary_cells(summary, daily, DAYS), key=key)
        runs = sum(s.executions for s in data.summaries)
        view = "versions" if self._by_version else "workflows"
        self.query_one("#metrics-status", Static).update(
            f"{len(rows)} {view} · {runs:,} runs · v: show {'workflows' if self._by_version else 'versions'}"
            f" · {self.app.ws.settings.logs.backend}")
        self._plotted = None
        if rows:
            table.move_cursor(row=0)
            self._plot(rows[0][0].workflow_id, rows[0][0].workflow_version)
        else:
            self.query_one("#metrics-status", Static).update(
                "no runs recorded yet: import some with `storeroom logs import FILE.jsonl`")

    def _show_patterns(self, patterns: list[Pattern]) -> None:
        self.query_one("#metrics-patterns", Static).update(patterns_text(patterns))

    # -- plot ---------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#metrics-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        wf, _, ver = (event.row_key.value or "").partition("|")
        if wf:
            self._plot(wf, int(ver) if ver else None)

    def _plot(self, workflow_id: str, version: int | None) -> None:
        if self._data is None or self._plotted == (workflow_id, version):
            return
        self._plotted = (workflow_id, version)
        data = self._data
        if version is not None:
            points = data.daily.get((workflow_id, version), [])
        else:
            series = [v for (w, _), v in data.daily.items() if w == workflow_id]
            points = merge_days(data.axis, series) if series else []
        name = f"{workflow_id} v{version}" if version is not None else f"{workflow_id} (all versions)"
        plot = self.query_one("#metrics-plot", PlotextPlot)
        draw(plot.plt, f"{name}: per day", data.axis, points)
        plot.refresh()


SCREEN = MetricsScreen
