"""Logs: filtered runs paged by keyset, the selected run's payload, and a tail mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static, TextArea

from backend.errors import StorageError
from backend.logs import LogFilter, Page, RunLog
from tui.workers import run_backend

from .log_detail import detail_header, payload_json, row_cells
from .log_filters import FilterBar, build_filter

PAGE = 100
TAIL_EVERY = 1.0
TAIL_PAGES = 10  # at most this many pages of new runs per poll


class LogsScreen(Screen):
    """Browse runs newest first; the table loads the next page as the cursor nears its end."""

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="logs.filter"),
        Binding("t", "toggle_tail", "Tail", id="logs.tail"),
        Binding("n", "next_page", "More", id="logs.more"),
        Binding("r", "reload", "Reload", id="logs.reload"),
        Binding("x", "clear_filter", "Clear filter", id="logs.clear"),
        Binding("R", "retention", "Retention", id="logs.retention"),
        Binding("escape", "focus_table", "Table", show=False, id="logs.table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._filter = LogFilter(limit=PAGE, with_payload=False)
        self._cursor: str | None = None
        self._runs: dict[str, RunLog] = {}
        self._loading = False
        self._tail: Timer | None = None
        self._polling = False
        self._total: int | None = None
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="logs-filters")
        with Horizontal(id="logs-main"):
            yield DataTable(id="logs-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="logs-detail", classes="panel"):
                yield Static("no run selected", id="logs-detail-head")
                yield TextArea("", language="json", read_only=True, show_line_numbers=True,
                               id="logs-payload")
        yield Static("loading…", id="logs-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#logs-table", DataTable)
        for label, key in (("started (UTC)", "started"), ("workflow", "workflow"),
                           ("status", "status"), ("took", "duration"), ("error", "error")):
            table.add_column(label, key=key)
        table.focus()
        self._load(reset=True)

    # -- loading ------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC)

    def _load(self, *, reset: bool) -> None:
        if reset:
            try:
                self._filter = build_filter(self.query_one(FilterBar).values(), self.now(), PAGE)
            except StorageError as exc:
                self.notify(str(exc), title="Filter", severity="error")
                return
            self._cursor = None
        elif not self._cursor or self._loading:
            return
        self._loading = True
        flt = LogFilter(**{**self._filter.__dict__, "cursor": None if reset else self._cursor})
        ws = self.app.ws  # ws.logs is opened lazily: touch it only inside workers
        run_backend(self, lambda: ws.logs.query_logs(flt), name="logs-page", group="logs-page",
                    exclusive=True, done=lambda page: self._show_page(page, reset),
                    failed=self._load_failed)
        if reset:
            count_flt = self._filter
            run_backend(self, lambda: ws.logs.count(count_flt), name="logs-count",
                        group="logs-count", exclusive=True, done=self._show_total, notify=False)

    def _load_failed(self, _exc: BaseException) -> None:
        self._loading = False
        self._update_status("could not load runs (see the notification)")

    def _show_page(self, page: Page, reset: bool) -> None:
        self._loading = False
        table = self.query_one("#logs-table", DataTable)
        if reset:
            table.clear()
            self._runs.clear()
            self._total = None
        for run in page.items:
            if run.run_id not in self._runs:
                self._runs[run.run_id] = run
                table.add_row(*row_cells(run), key=run.run_id)
        self._cursor = page.next_cursor
        self._update_status()
        if reset:
            if page.items:
                table.move_cursor(row=0)
                self._show_detail(page.items[0].run_id)
            else:
                self._clear_detail()

    def _show_total(self, total: int) -> None:
        self._total = total
        self._update_status()

    def _update_status(self, note: str | None = None) -> None:
        shown = len(self._runs)
        total = f" of {self._total:,}" if self._total is not None else ""
        more = "more below (n)" if self._cursor else "end of list"
        tail = "tail ON" if self._tail else "tail off (t)"
        backend = self.app.ws.settings.logs.backend
        text = note or f"{shown:,}{total} runs · {more} · {tail} · {backend}"
        self.query_one("#logs-status", Static).update(text)

    # -- detail -------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#logs-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self._show_detail(event.row_key.value)
        table = event.data_table
        if event.cursor_row >= table.row_count - 10:
            self._load(reset=False)

    def _show_detail(self, run_id: str) -> None:
        if run_id == self._shown:
            return
        self._shown = run_id
        ws = self.app.ws

        def shown(run: RunLog) -> None:
            if run.run_id != self._shown:
                return  # the cursor moved on meanwhile
            self.query_one("#logs-detail-head", Static).update(detail_header(run))
            self.query_one("#logs-payload", TextArea).load_text(payload_json(run))

        run_backend(self, lambda: ws.logs.get_log(run_id), name="logs-detail", group="logs-detail",
                    done=shown)

    def _clear_detail(self) -> None:
        self._shown = None
        self.query_one("#logs-detail-head", Static).update("no run matches the filter")
        self.query_one("#logs-payload", TextArea).load_text("")

    # -- tail ---------------------------------------------------------------------
    def action_toggle_tail(self) -> None:
        if self._tail is not None:
            self._tail.stop()
            self._tail = None
            self.notify("Tail off")
        else:
            self._tail = self.set_interval(TAIL_EVERY, self._poll)
            self.notify("Tail on: new runs appear at the top as they land")
            self._poll()
        self._update_status()

    def _poll(self) -> None:
        if self._polling:
            return
        self._polling = True
        known = set(self._runs)
        newest = max((r.started_at for r in self._runs.values()), default=None)
        base = self._filter
        if newest is not None:
            since = newest - timedelta(minutes=5)  # late writers: a small overlap, deduplicated
            if base.since is None or since > base.since:
                base = LogFilter(**{**base.__dict__, "since": since})
        ws = self.app.ws

        def fetch() -> list[RunLog]:
            fresh: list[RunLog] = []
            flt = base
            for _ in range(TAIL_PAGES):
                page = ws.logs.query_logs(flt)
                fresh += [r for r in page.items if r.run_id not in known]
                if not page.next_cursor:
                    break
                flt = LogFilter(**{**base.__dict__, "cursor": page.next_cursor})
            return fresh

        run_backend(self, fetch, name="logs-tail", group="logs-tail", done=self._landed,
                    failed=self._poll_failed, notify=False)

    def _poll_failed(self, exc: BaseException) -> None:
        self._polling = False
        if self._tail is not None:  # one message, not one per second
            self._tail.stop()
            self._tail = None
            self.notify(f"Tail stopped: {exc}", title="Tail", severity="error", timeout=8)
            self._update_status()

    def _landed(self, fresh: list[RunLog]) -> None:
        self._polling = False
        if not fresh or self._tail is None:
            return
        table = self.query_one("#logs-table", DataTable)
        at_top = table.cursor_row <= 0
        for run in fresh:
            if run.run_id not in self._runs:
                self._runs[run.run_id] = run
                table.add_row(*row_cells(run), key=run.run_id)
        table.sort("started", reverse=True)
        if at_top:  # following the newest run, like `tail -f`
            table.move_cursor(row=0)
            self._show_detail(table.coordinate_to_cell_key((0, 0)).row_key.value or "")
        if self._total is not None:
            self._total += len(fresh)
        self._update_status()

    # -- actions ------------------------------------------------------------------
    @on(FilterBar.Changed)
    def _filter_changed(self) -> None:
        self._load(reset=True)

    def action_focus_filter(self) -> None:
        self.query_one("#f-workflow").focus()

    def action_focus_table(self) -> None:
        self.query_one("#logs-table").focus()

    def action_next_page(self) -> None:
        if not self._cursor:
            self.notify("That is every run matching the filter.")
        self._load(reset=False)

    def action_reload(self) -> None:
        self._load(reset=True)

    def action_clear_filter(self) -> None:
        self.query_one(FilterBar).clear()
        self._load(reset=True)
        self.query_one("#logs-table").focus()

    def action_retention(self) -> None:
        from .log_retention import RetentionScreen

        self.app.push_screen(RetentionScreen(), callback=self._after_retention)

    def _after_retention(self, result: Any) -> None:
        if result:
            self._load(reset=True)


SCREEN = LogsScreen
