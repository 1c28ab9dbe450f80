"""Cache: the memory and Redis tiers — stats, connection, our keys, eviction, hit ratio over time.

Works without Redis: the memory panel and ratios keep going and the Redis panel says
plainly what is wrong and what to do. Only keys under this workspace's prefix are
listed or deleted (the backend SCANs by prefix; never KEYS or FLUSH*).
"""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from backend.errors import BackendUnavailable
from backend.humanize import human_bytes
from backend.skills.results import TIERS, KeyPage, RedisState, TierStats
from tui.workers import run_backend

from .cache_panels import RatioHistory, format_micros, redis_summary, tier_table
from .skill_widgets import ConfirmScreen, Latest, ScreenActions, human_ttl

SAMPLE_EVERY = 3.0  # seconds between stats samples
KEYS_PER_PAGE = 100


class CacheScreen(Screen):
    """Memory tier, Redis tier, our Redis keys (paged SCAN) and hit ratios over time."""

    PALETTE_TITLE = "Cache"
    COMMANDS = {ScreenActions}
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="cache.refresh"),
        Binding("x,delete", "evict", "Evict key", id="cache.evict", key_display="x/del"),
        Binding("X", "evict_all", "Evict all ours", id="cache.evict-all"),
        Binding("right_square_bracket", "keys_page(1)", "Next keys", id="cache.next-keys",
                key_display="]"),
        Binding("left_square_bracket", "keys_page(-1)", "Prev keys", id="cache.prev-keys",
                key_display="["),
    ]

    sample_every = SAMPLE_EVERY

    def __init__(self) -> None:
        super().__init__()
        self.history = RatioHistory()
        self.redis: RedisState | None = None
        # SCAN cursors of the pages seen: a cursor only goes forward, so "back" replays one.
        self._cursors: list[int] = [0]
        self._next_cursor = 0
        self._latest_keys = Latest()
        self._shown = False  # paging fast: only the last page asked for shows

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="cache-top"):
            with Vertical(id="cache-memory", classes="panel"):
                yield Static("Memory tier", classes="panel-title")
                yield Static("loading…", id="memory-stats")
            with Vertical(id="cache-redis", classes="panel"):
                yield Static("Redis tier", classes="panel-title")
                yield Static("loading…", id="redis-summary")
                yield Static("", id="redis-facts")
                yield Static("", id="redis-stats")
            with Vertical(id="cache-ratio", classes="panel"):
                yield Static("Hit ratio per interval", classes="panel-title")
                for tier in TIERS:
                    yield Static(tier, id=f"ratio-label-{tier}", classes="ratio-label")
                    yield Static("", id=f"ratio-{tier}", classes="ratio-line")
        with Vertical(id="cache-keys-panel", classes="panel"):
            yield Static(f"Our Redis keys ({self.app.ws.redis_prefix}*)", classes="panel-title",
                         id="keys-title")
            yield DataTable(id="cache-keys", cursor_type="row", zebra_stripes=True)
            yield Static("", id="keys-status", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cache-keys", DataTable).add_columns("key", "type", "ttl", "size")
        self.action_refresh()
        self.set_interval(self.sample_every, self.sample)

    def on_screen_resume(self) -> None:
        # Back from another area or a dialog: what we show may be old (keys written,
        # Redis gone...). The first resume is the first show: on_mount loads then.
        if self._shown:
            self.action_refresh()
        self._shown = True

    # -- stats ----------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.sample()
        self._cursors = [0]
        self.load_keys(0)

    def sample(self) -> None:
        ws = self.app.ws
        run_backend(self, lambda: (ws.skills.stats(), ws.skills.redis_state()),
                    done=self._show_stats, name="cache-stats", group="cache-stats",
                    exclusive=True)

    def _show_stats(self, result: tuple[dict[str, TierStats], RedisState]) -> None:
        stats, state = result
        self.redis = state
        self.history.add(stats)
        cap = self.app.ws.settings.skills
        self.query_one("#memory-stats", Static).update(
            tier_table(stats["memory"], self.format_micros, max_entries=cap.memory_max_entries,
                       max_bytes=cap.memory_max_bytes, errors=self.format_errors))
        self.query_one("#redis-summary", Static).update(
            redis_summary(state, self.format_error(state.last_error),
                          self.format_breaker(state.breaker)))
        self.query_one("#redis-facts", Static).update(self._redis_facts(state))
        self.query_one("#redis-stats", Static).update(
            tier_table(stats["redis"], self.format_micros, errors=self.format_errors))
        self.query_one("#redis-stats").display = state.configured
        self.query_one("#cache-redis").set_class(state.configured and not state.connected, "-down")
        for tier in TIERS:
            self.query_one(f"#ratio-label-{tier}", Static).update(self.history.label(tier))
            line = self.query_one(f"#ratio-{tier}", Static)
            line.update(self.history.spark(tier, max(line.size.width, 10)))

    # Formatting hooks: snapshot tests override these to hide run-to-run noise.
    def format_url(self, url: str | None) -> str:
        return url or "—"

    def format_latency(self, latency_ms: float | None) -> str:
        return f"{latency_ms:.2f} ms" if latency_ms is not None else "—"

    def format_memory(self, used: str | None) -> str:
        return f"{used} used" if used else "—"

    def format_error(self, error: str | None) -> str:
        return error or "unknown"

    def format_micros(self, value: float | None) -> str:
        return format_micros(value)

    def format_breaker(self, breaker: str) -> str:
        return breaker

    def format_errors(self, count: int) -> str:
        return f"{count:,}"

    def _redis_facts(self, state: RedisState) -> Table | str:
        if not state.configured:
            return ""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        grid.add_row("url", self.format_url(state.url))
        grid.add_row("breaker", self.format_breaker(state.breaker))
        latency = self.format_latency(state.latency_ms)
        if not state.connected and state.latency_ms is not None:
            latency = f"— (last good: {latency})"
        grid.add_row("latency", latency)
        grid.add_row("memory", self.format_memory(state.used_memory))
        if state.keys is not None:
            grid.add_row("our keys", f"{state.keys:,}")
        if state.pending_writes:
            grid.add_row("queued writes", str(state.pending_writes))
        return grid

    # -- keys -----------------------------------------------------------------------
    def load_keys(self, cursor: int) -> None:
        ws = self.app.ws
        guard = self._latest_keys.begin()
        run_backend(self, lambda: ws.skills.redis_keys(cursor, KEYS_PER_PAGE),
                    done=guard(self._show_keys), failed=guard(self._keys_failed), notify=False, name="redis-keys",
                    group="cache-keys", exclusive=True)

    def _show_keys(self, page: KeyPage) -> None:
        table = self.query_one("#cache-keys", DataTable)
        prefix = self.app.ws.redis_prefix
        keys = sorted(page.keys, key=lambda k: k.key)  # SCAN order is arbitrary
        rows = {k.key: (k.key.removeprefix(prefix), k.type, human_ttl(k.ttl), human_bytes(k.size))
                for k in keys}
        if [str(row.value) for row in table.rows] == list(rows):
            # The same keys (a periodic refresh): update in place, so nothing flickers
            # and the cursor stays on its key.
            for key, cells in rows.items():
                for column, value in zip(table.columns, cells, strict=True):
                    if table.get_cell(key, column) != value:
                        table.update_cell(key, column, value, update_width=True)
        else:
            table.clear()
            for key, cells in rows.items():
                table.add_row(*cells, key=key)
        self._next_cursor = page.cursor
        more = "more: ]" if page.cursor else "end of keys"
        number = len(self._cursors)
        shown = (f"{len(page.keys)} key(s) on page {number}" if page.keys
                 else "no keys of ours in Redis")
        self.query_one("#keys-status", Static).update(f"{shown} · {more} · x evicts one, "
                                                      "X evicts all of ours")

    def _keys_failed(self, exc: BaseException) -> None:
        self.query_one("#cache-keys", DataTable).clear()
        if not self._configured():
            message = "No Redis configured: there are no cached keys to list."
        elif isinstance(exc, BackendUnavailable):
            message = "Keys cannot be listed while Redis is unreachable (see above)."
        else:
            message = f"Keys cannot be listed: {exc}"
        self.query_one("#keys-status", Static).update(message)

    def _configured(self) -> bool:
        return bool(self.app.ws.settings.redis.url)

    def action_keys_page(self, step: int) -> None:
        if step > 0:
            if not self._next_cursor:
                self.notify("That was the last page of keys.", timeout=2)
                return
            self._cursors.append(self._next_cursor)
        else:
            if len(self._cursors) == 1:
                self.notify("Already on the first page of keys.", timeout=2)
                return
            self._cursors.pop()
        self.load_keys(self._cursors[-1])

    # -- eviction -------------------------------------------------------------------
    def action_evict(self) -> None:
        table = self.query_one("#cache-keys", DataTable)
        if not table.row_count:
            self.notify("No key selected.", timeout=2)
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

        def answered(yes: bool | None) -> None:
            if yes:
                ws = self.app.ws
                run_backend(self, lambda: ws.skills.evict(key), done=self._evicted_one,
                            name="evict-key")

        body = (f"Delete {key} from Redis?\nThe skill itself is safe on disk; the next read "
                "fills the cache again.")
        self.app.push_screen(ConfirmScreen("Evict key", body, confirm_label="Evict"), answered)

    def _evicted_one(self, deleted: bool) -> None:
        self.notify("Key evicted." if deleted else "The key was already gone.", title="Cache")
        self.load_keys(self._cursors[-1])
        self.sample()

    def action_evict_all(self) -> None:
        if not self._configured():
            self.notify("No Redis configured: nothing to evict.", timeout=3)
            return
        ws = self.app.ws
        run_backend(self, lambda: ws.skills.evict_all_preview(), done=self._confirm_evict_all,
                    name="count-keys")

    def _confirm_evict_all(self, count: int) -> None:
        if not count:
            self.notify("No keys of ours in Redis: nothing to evict.", title="Cache")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                ws = self.app.ws
                run_backend(self, lambda: ws.skills.evict_all(), done=self._evicted_all,
                            name="evict-all")

        body = (f"Delete all {count:,} key(s) under {self.app.ws.redis_prefix} from Redis?\n"
                "Other applications' keys are not touched. Skills stay on disk; reads "
                "refill the cache.")
        self.app.push_screen(ConfirmScreen("Evict all of ours", body,
                                           confirm_label=f"Evict {count:,}"), answered)

    def _evicted_all(self, count: int) -> None:
        self.notify(f"Evicted {count:,} key(s).", title="Cache")
        self.action_refresh()


SCREEN = CacheScreen
