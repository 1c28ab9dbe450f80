"""Skills: a paged, sortable catalogue with filter, detail (tiers, validity, history) and edits.

Only one page of skills is ever in the table; sorting, filtering and paging ask the
backend for another page. Every backend call runs in a worker; backend events
(skill.saved / skill.deleted / skill.changed) refresh the affected row.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.workers import run_backend

from .skill_actions import SkillActions
from .skill_detail import SkillDetail
from .skill_search import SkillSearch
from .skill_table import COLUMNS, SORTABLE, LiveRows, cells, parse_filter
from .skill_widgets import Latest, ScreenActions


class SkillsScreen(SkillActions, LiveRows, Screen):
    """Browse and edit skills (actions live in :class:`SkillActions`)."""

    PALETTE_TITLE = "Skills"
    COMMANDS = {ScreenActions}
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="skills.filter", key_display="/"),
        Binding("f", "focus_search", "Search", id="skills.search"),
        Binding("e", "edit", "Edit", id="skills.edit"),
        Binding("n", "new", "New", id="skills.new"),
        Binding("d", "duplicate", "Dup", id="skills.duplicate"),
        Binding("x,delete", "delete", "Delete", id="skills.delete", key_display="x/del"),
        Binding("o", "open_external", "$EDITOR", id="skills.open-external"),
        Binding("s", "cycle_sort", "Sort", id="skills.sort"),
        Binding("S", "reverse_sort", "Reverse sort", id="skills.reverse", show=False),
        Binding("left_square_bracket", "page(-1)", "Prev page", id="skills.prev-page",
                key_display="["),
        Binding("right_square_bracket", "page(1)", "Next page", id="skills.next-page",
                key_display="]"),
        # priority: the table would otherwise scroll by a screenful on pgup/pgdn.
        Binding("pageup", "page(-1)", "Prev page", id="skills.prev-page-key", show=False,
                key_display="pgup", priority=True),
        Binding("pagedown", "page(1)", "Next page", id="skills.next-page-key", show=False,
                key_display="pgdn", priority=True),
        Binding("r", "refresh", "Refresh", id="skills.refresh", show=False),
    ]

    page_size = 50

    def __init__(self) -> None:
        super().__init__()
        self.page_offset = 0
        self.total = 0
        self.sort_key = "id"
        self.descending = False
        self.filter_tag: str | None = None
        self.filter_text: str | None = None
        self.selected_id: str | None = None
        self.invalid_files: dict[str, Any] = {}  # file name -> InvalidFile
        self._shown_view: tuple[Any, ...] | None = None  # the list the table last showed
        self._keep_detail_for: str | None = None  # a row whose highlight must not select
        self._filter_timer: Timer | None = None
        self._reload_timer: Timer | None = None
        self._unsubscribe = lambda: None
        self._latest_page = Latest()  # fast typing in the filter: only the last answer shows

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="skills-body"):
            with Vertical(id="skills-list-panel", classes="panel"):
                yield Input(placeholder="/ filter: words, or tag:name", id="skill-filter")
                yield SkillSearch()
                yield DataTable(id="skills-table", cursor_type="row", zebra_stripes=True)
                yield Static("loading…", id="skills-status", classes="muted")
                yield Static("", id="skills-invalid-title")
                yield DataTable(id="skills-invalid", cursor_type="row")
            with VerticalScroll(id="skill-detail-panel", classes="panel"):
                yield SkillDetail(id="skill-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#skills-table", DataTable)
        for label, key, _ in COLUMNS:
            table.add_column(label, key=key)
        self.query_one("#skills-invalid", DataTable).add_columns("invalid file", "reason")
        self.query_one("#skills-invalid", DataTable).display = False
        self._unsubscribe = self.app.ws.events.subscribe(self._on_backend_event)
        table.focus()
        self.action_refresh()

    def action_focus_search(self) -> None:
        self.query_one(SkillSearch).focus_query()

    def show_skill(self, skill_id: str) -> None:
        """Select ``skill_id``: its row if it is on this page, and its detail either way."""
        table = self.query_one("#skills-table", DataTable)
        if skill_id in table.rows:
            table.move_cursor(row=table.get_row_index(skill_id))
        self._select(skill_id)

    def on_screen_resume(self) -> None:
        # Back from the editor or another area: the tiers and the history may have moved on.
        if self.selected_id is not None:
            self.query_one(SkillDetail).load(self.selected_id)

    def on_unmount(self) -> None:
        self._unsubscribe()

    # -- loading ------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.load_page()
        ws = self.app.ws
        run_backend(self, lambda: ws.skills.invalid(), done=self._show_invalid,
                    name="list-invalid-skills", group="skills-invalid", exclusive=True)

    def load_page(self) -> None:
        # ws.skills is built on first use (it touches disk and Redis): only in workers.
        ws = self.app.ws
        query = dict(offset=self.page_offset, limit=self.page_size, sort=self.sort_key,
                     descending=self.descending, tag=self.filter_tag, text=self.filter_text)
        guard = self._latest_page.begin()
        run_backend(self, lambda: ws.skills.list(**query), done=guard(self._show_page),
                    name="list-skills",
                    group="skills-page", exclusive=True)

    def _show_page(self, page: Any) -> None:
        if page.total and self.page_offset >= page.total:  # the last page emptied: step back
            self.page_offset = max(0, (page.total - 1) // self.page_size * self.page_size)
            self.load_page()
            return
        self.total = page.total
        table = self.query_one("#skills-table", DataTable)
        cursor_row = table.cursor_row  # before a rebuild puts it back on the first row
        self._fill(table, page.items)
        self._update_status(len(page.items), page.complete)
        if not page.complete:
            # A cold store's quick first page: a skills.catalogue event normally follows,
            # but ask again shortly in case it was missed, until the page is exact.
            self.set_timer(0.5, self.load_page)
        if not page.items:
            self.selected_id = None
            self.query_one(SkillDetail).show_empty(self._empty_reason())
            return
        ids = [skill.id for skill in page.items]
        view, self._shown_view = self._shown_view, self._view()
        if self.selected_id in ids:
            row = ids.index(self.selected_id)
            if table.cursor_row != row:
                table.move_cursor(row=row)
            self.query_one(SkillDetail).load(ids[row])  # refresh: tiers and history move on
        elif self.selected_id is not None and view == self._shown_view:
            # Same list, but the skill on show left it (made invalid or deleted behind our
            # back): keep showing it, the pane says why, rather than jump to another skill.
            row = max(0, min(cursor_row, len(ids) - 1))
            self._keep_detail_for = ids[row]
            table.move_cursor(row=row)
            self.query_one(SkillDetail).load(self.selected_id)
        else:
            table.move_cursor(row=0)
            self._select(ids[0])

    @staticmethod
    def _fill(table: DataTable, items: list[Any]) -> None:
        """Show ``items``: the same rows in the same order are updated in place (no flicker,
        the cursor stays put); anything else rebuilds the table."""
        if [str(key.value) for key in table.rows] == [item.id for item in items]:
            for item in items:
                for (_, key, _), value in zip(COLUMNS, cells(item), strict=True):
                    if table.get_cell(item.id, key) != value:
                        table.update_cell(item.id, key, value, update_width=True)
            return
        table.clear()
        for item in items:
            table.add_row(*cells(item), key=item.id)

    def _view(self) -> tuple[Any, ...]:
        """Which list the table shows: page, order and filter."""
        return (self.page_offset, self.page_size, self.sort_key, self.descending,
                self.filter_tag, self.filter_text)

    def _empty_reason(self) -> str:
        if self.filter_tag or self.filter_text:
            return "No skill matches the filter. Press / and change it, or clear it."
        return ("No skills yet. Press n to create one, or import a folder with "
                "`storeroom skills import`.")

    def _update_status(self, shown: int, complete: bool = True) -> None:
        arrow = "↓" if self.descending else "↑"
        span = f"{self.page_offset + 1}–{self.page_offset + shown}" if shown else "0"
        pages = max(1, -(-self.total // self.page_size))
        page = self.page_offset // self.page_size + 1
        of = f"{self.total}" if complete else f"~{self.total} (still checking files…)"
        parts = [f"{span} of {of}", f"page {page}/{pages}", f"sort {self.sort_key} {arrow}"]
        if self.filter_tag:
            parts.append(f"tag {self.filter_tag}")
        if self.filter_text:
            parts.append(f"text {self.filter_text!r}")
        self.query_one("#skills-status", Static).update(" · ".join(parts))

    def _show_invalid(self, invalid: list[Any]) -> None:
        table = self.query_one("#skills-invalid", DataTable)
        title = self.query_one("#skills-invalid-title", Static)
        self.invalid_files = {item.filename: item for item in invalid}
        table.clear()
        for item in invalid:
            table.add_row(item.filename, item.reason, key=item.filename)
        if not invalid and table.has_focus:
            self.query_one("#skills-table", DataTable).focus()
        table.display = bool(invalid)
        title.update(f"⚠ {len(invalid)} invalid file(s), not served; select one and press o "
                     "to fix it" if invalid else "")
        title.display = bool(invalid)

    # -- selection and detail ------------------------------------------------------
    @on(DataTable.RowHighlighted, "#skills-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row:
            return  # stale: the table was rebuilt or the cursor moved on since
        keep, self._keep_detail_for = self._keep_detail_for, None
        if event.row_key.value == keep:
            return  # our own cursor move after the shown skill left the list
        if event.row_key.value and event.row_key.value != self.selected_id:
            self._select(event.row_key.value)

    def _select(self, skill_id: str) -> None:
        self.selected_id = skill_id
        self.query_one(SkillDetail).load(skill_id)

    # -- sorting, paging, filtering ---------------------------------------------------
    @on(DataTable.HeaderSelected, "#skills-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        sort = dict((key, sort) for _, key, sort in COLUMNS).get(str(event.column_key.value), "")
        if not sort:
            self.notify("This column cannot be sorted.")
            return
        self.descending = not self.descending if sort == self.sort_key else False
        self.sort_key = sort
        self.page_offset = 0
        self.load_page()

    def action_cycle_sort(self) -> None:
        self.sort_key = SORTABLE[(SORTABLE.index(self.sort_key) + 1) % len(SORTABLE)]
        self.descending = False
        self.page_offset = 0
        self.load_page()

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self.page_offset = 0
        self.load_page()

    def action_page(self, step: int) -> None:
        new = self.page_offset + step * self.page_size
        if new < 0 or new >= max(self.total, 1):
            self.notify("No more pages that way.", timeout=2)
            return
        self.page_offset = new
        self.load_page()

    def action_focus_filter(self) -> None:
        self.query_one("#skill-filter", Input).focus()

    @on(Input.Changed, "#skill-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        value = event.value
        self._filter_timer = self.set_timer(0.15, lambda: self._apply_filter(value))

    def _apply_filter(self, value: str) -> None:
        self.filter_tag, self.filter_text = parse_filter(value)
        self.page_offset = 0
        self.load_page()

    @on(Input.Submitted, "#skill-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#skills-table", DataTable).focus()

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.query_one("#skill-filter", Input).has_focus:
            self.query_one("#skill-filter", Input).value = ""
            self.query_one("#skills-table", DataTable).focus()
            event.stop()


SCREEN = SkillsScreen
