"""Dashboard: live health of every backend, counts and sizes, recent activity."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static

from backend.events import Event
from backend.health import HealthCheck, Status, overall
from backend.humanize import human_bytes
from backend.summary import ActivityItem, Fact, recent_activity, workspace_summary
from tui.workers import run_backend

STATUS_STYLE = {Status.OK: "bold green", Status.DEGRADED: "bold yellow", Status.DOWN: "bold red"}


class DashboardScreen(Screen):
    """Health table, workspace facts and an activity feed, refreshed in workers."""

    BINDINGS = [Binding("r", "refresh", "Refresh", id="dashboard.refresh")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="dash-top"):
            with Vertical(id="health-panel", classes="panel"):
                yield Static("Health", classes="panel-title")
                yield DataTable(id="health", cursor_type="row", zebra_stripes=True)
                yield Static("checking…", id="overall")
            with Vertical(id="facts-panel", classes="panel"):
                yield Static("Workspace", classes="panel-title")
                yield DataTable(id="facts", cursor_type="none")
        with Vertical(id="activity-panel", classes="panel"):
            yield Static("Recent activity", classes="panel-title")
            yield DataTable(id="activity", cursor_type="row")
        yield Footer()

    _reload_timer: Timer | None = None

    def on_mount(self) -> None:
        health = self.query_one("#health", DataTable)
        health.add_columns("backend", "status", "latency", "detail")
        self.query_one("#facts", DataTable).add_columns("what", "count", "size", "note")
        self.query_one("#activity", DataTable).add_columns("when", "what", "subject", "detail")
        ws = self.app.ws
        self._unsubscribe = ws.events.subscribe(self._on_backend_event)
        self.action_refresh()
        self.set_interval(ws.settings.ui.refresh_interval, self.action_refresh)

    def on_unmount(self) -> None:
        self._unsubscribe()

    health_budget = 0.3  # seconds each backend has to answer (a hung server must not stall)

    def action_refresh(self) -> None:
        ws = self.app.ws
        budget = self.health_budget
        run_backend(self, lambda: ws.health(budget=budget), done=self._show_health,
                    name="health-check", group="dash-health", exclusive=True)
        self._reload_activity()

    def _on_backend_event(self, event: Event) -> None:
        # Called on the publisher's thread; hop to the UI thread.
        try:
            self.app.call_from_thread(self._activity_arrived)
        except RuntimeError:
            self._activity_arrived()  # already on the UI thread

    def format_latency(self, check: HealthCheck) -> str:
        return f"{check.latency_ms:.1f} ms" if check.latency_ms is not None else "—"

    def format_detail(self, check: HealthCheck) -> str:
        return check.detail

    def now(self) -> datetime:
        return datetime.now()

    def _show_health(self, checks: list[HealthCheck]) -> None:
        table = self.query_one("#health", DataTable)
        table.clear()
        for check in checks:
            name = check.name if check.required else f"{check.name} (optional)"
            table.add_row(name, Text(str(check.status), style=STATUS_STYLE[check.status]),
                          self.format_latency(check), self.format_detail(check), key=check.name)
        verdict = overall(checks)
        stamp = self.now().strftime("%H:%M:%S")
        self.query_one("#overall", Static).update(
            Text.assemble("overall ", (str(verdict), STATUS_STYLE[verdict]), f"   checked {stamp}"))

    def _show_facts(self, result: tuple[list[Fact], list[ActivityItem]]) -> None:
        facts, activity = result
        table = self.query_one("#facts", DataTable)
        table.clear()
        for fact in facts:
            count = f"{fact.value:,}" if fact.value is not None else "—"
            table.add_row(fact.label, count, human_bytes(fact.size, missing=""), fact.note)
        feed = self.query_one("#activity", DataTable)
        feed.clear()
        for item in activity:
            feed.add_row(item.at.astimezone().strftime("%m-%d %H:%M:%S"), item.kind, item.subject,
                         item.detail)
        if not activity:
            feed.add_row("", "no activity yet", "", "changes to skills, workflows and runs show here")

    def _activity_arrived(self) -> None:
        # Bursts of events (a bulk import, a watcher storm) coalesce into one reload.
        if self._reload_timer is None and self.is_mounted:
            self._reload_timer = self.set_timer(0.3, self._reload_activity)

    def _reload_activity(self) -> None:
        self._reload_timer = None
        ws = self.app.ws
        run_backend(self, lambda: (workspace_summary(ws), recent_activity(ws)),
                    done=self._show_facts, name="workspace-summary", group="dash-facts",
                    exclusive=True)


SCREEN = DashboardScreen
