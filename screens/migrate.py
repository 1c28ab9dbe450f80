"""Migrate: move logs, metrics, patterns and the audit log between SQLite and PostgreSQL.

Type the target (the password is masked), test it (t), plan (p), run or resume (r) with a
progress bar per table, cancel safely (c), verify (v), switch (s) with a confirm, undo (u).
All I/O runs in workers; progress arrives as replaceable messages.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from backend.migrate.progress import Progress
from backend.migrate.service import Migrator
from tui.workers import run_backend

from .migrate_dialogs import ConfirmMigration
from .migrate_widgets import (
    MigrationProgressed,
    ProgressPanel,
    history_cells,
    masked,
    plan_notes,
    verify_cells,
)

PLACEHOLDER = "postgresql://user:password@host:5432/db   or   other.db"


class MigrateScreen(Screen):
    """Plan, run, verify and switch a migration; the history of runs below."""

    BINDINGS = [
        Binding("d", "edit_target", "Target", id="migrate.target"),
        Binding("t", "test", "Test", id="migrate.test"),
        Binding("p", "plan", "Plan", id="migrate.plan"),
        Binding("r", "run", "Run/resume", id="migrate.run"),
        Binding("c", "cancel", "Cancel", id="migrate.cancel"),
        Binding("v", "verify", "Verify", id="migrate.verify"),
        Binding("a", "accept", "Accept quarantine", id="migrate.accept"),
        Binding("s", "switch", "Switch", id="migrate.switch"),
        Binding("u", "undo", "Undo", id="migrate.undo"),
        Binding("escape", "leave_input", "Leave input", show=False, id="migrate.leave"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._cancel: threading.Event | None = None
        self._last_post = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="mig-target-panel", classes="panel"):
            with Horizontal(id="mig-target-row"):
                yield Label("Target", classes="panel-title")
                yield Input(placeholder=PLACEHOLDER, password=True, id="mig-dsn")
            yield Static("Press d to type a target, then enter to test it.", id="mig-target",
                         classes="muted")
        with Horizontal(id="mig-body"):
            with Vertical(id="mig-plan-panel", classes="panel"):
                yield Static("Plan", classes="panel-title")
                yield DataTable(id="mig-plan", cursor_type="none")
                yield Static("", id="mig-notes")
            with Vertical(id="mig-run-panel", classes="panel"):
                yield Static("Run", classes="panel-title")
                yield ProgressPanel(id="mig-progress")
                yield Static("", id="mig-result")
        with Horizontal(id="mig-bottom"):
            with Vertical(id="mig-verify-panel", classes="panel"):
                yield Static("Verify", classes="panel-title")
                yield DataTable(id="mig-verify", cursor_type="row")
            with Vertical(id="mig-history-panel", classes="panel"):
                yield Static("History", classes="panel-title")
                yield DataTable(id="mig-history", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.migrator = Migrator(self.app.ws)
        self.query_one("#mig-plan", DataTable).add_columns("table", "rows", "would quarantine")
        self.query_one("#mig-verify", DataTable).add_columns("table", "result")
        self.query_one("#mig-history", DataTable).add_columns(
            "run", "started (UTC)", "status", "rows", "quar.", "verify", "switch", "target")
        self.refresh_history()
        self.query_one("#mig-plan", DataTable).focus()

    # -- helpers ---------------------------------------------------------------------
    @property
    def target(self) -> str:
        return self.query_one("#mig-dsn", Input).value.strip()

    def _need_target(self) -> bool:
        if self.target:
            return True
        self.app.notify("Type a target first (postgresql://… or a .db file).", severity="warning")
        self.query_one("#mig-dsn", Input).focus()
        return False

    def _busy(self) -> bool:
        if self._cancel is not None:
            self.app.notify("A migration is running: cancel it (c) or wait.", severity="warning")
            return True
        return False

    def _progress(self, p: Progress) -> None:
        """Called on the worker thread: at most ~10 messages a second reach the UI."""
        now = time.monotonic()
        if p.phase in ("done", "index") or now - self._last_post >= 0.1:
            self._last_post = now
            self.post_message(MigrationProgressed(p))

    def on_migration_progressed(self, message: MigrationProgressed) -> None:
        self.query_one(ProgressPanel).show(message.progress)

    def refresh_history(self) -> None:
        run_backend(self, self.migrator.runs, done=self._show_history, name="migration-history",
                    group="mig-history", exclusive=True)

    def _show_history(self, runs: list[Any]) -> None:
        table = self.query_one("#mig-history", DataTable)
        table.clear()
        for record in runs:
            table.add_row(*history_cells(record), key=str(record.id))
        if not runs:
            table.add_row("", "no runs yet", "", "", "", "", "", "")

    # -- target ------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        shown = masked(event.value)
        self.query_one("#mig-target", Static).update(shown or "Enter a target, then press enter.")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_test()

    def action_edit_target(self) -> None:
        self.query_one("#mig-dsn", Input).focus()

    def action_leave_input(self) -> None:
        self.query_one("#mig-plan", DataTable).focus()

    def action_test(self) -> None:
        if not self._need_target():
            return
        target = self.target
        self.query_one("#mig-target", Static).update(f"{masked(target)} · testing…")
        run_backend(self, lambda: self.migrator.test_connection(target), done=self._tested,
                    name="connection-test", group="mig-test", exclusive=True)

    def _tested(self, result: Any) -> None:
        style = "green" if result.ok else "bold red"
        status = "reachable" if result.ok else "unreachable"
        self.query_one("#mig-target", Static).update(
            Text.assemble(f"{masked(self.target)} · ", (status, style), f" · {result.detail}"))
        self.query_one("#mig-plan", DataTable).focus()

    # -- plan / run / verify -----------------------------------------------------------
    def action_plan(self) -> None:
        if not self._need_target() or self._busy():
            return
        target, cancel = self.target, threading.Event()
        self._cancel = cancel
        self.query_one("#mig-notes", Static).update("planning: counting rows and scanning values…")
        run_backend(self, lambda: self.migrator.plan(target, progress=self._progress, cancel=cancel),
                    done=self._planned, failed=self._plan_failed, name="migration-plan",
                    group="mig-plan", exclusive=True)

    def _plan_failed(self, exc: BaseException) -> None:
        self._cancel = None
        self.query_one("#mig-notes", Static).update(Text(f"plan failed: {exc}", style="bold red"))

    def _planned(self, plan: Any) -> None:
        self._cancel = None
        table = self.query_one("#mig-plan", DataTable)
        table.clear()
        for t in plan.tables:
            table.add_row(t.table, f"{t.rows:,}", f"{t.bad_rows:,}" if t.bad_rows else "")
        self.query_one("#mig-notes", Static).update(plan_notes(plan))
        panel = self.query_one(ProgressPanel)
        panel.reset({t.table: t.rows for t in plan.tables})
        panel.note("plan ready: press r to run")

    def action_run(self) -> None:
        if not self._need_target() or self._busy():
            return
        target, cancel = self.target, threading.Event()
        self._cancel = cancel
        self.query_one("#mig-result", Static).update("running… (c cancels after the current batch)")
        run_backend(self, lambda: self.migrator.run(target, resume=True, progress=self._progress,
                                                    cancel=cancel),
                    done=self._ran, failed=self._failed, name="migration-run", group="mig-run")

    def _ran(self, outcome: Any) -> None:
        self._cancel = None
        style = "green" if outcome.record.switchable else "yellow"
        self.query_one("#mig-result", Static).update(Text(outcome.summary, style=style))
        self.query_one(ProgressPanel).note(f"finished in {outcome.copy.seconds:,.1f} s")
        if outcome.verify is not None:
            self._verified(outcome.verify)
        if outcome.copy.quarantined:
            target = self.target
            run_backend(self, lambda: self.migrator.quarantine(target), done=self._show_quarantine,
                        name="quarantine-list", group="mig-quarantine", exclusive=True)
        self.refresh_history()

    def _show_quarantine(self, rows: list[Any]) -> None:
        text = Text(f"{len(rows)} row(s) quarantined (kept out of the target; review, then "
                    "accept with a):\n", style="bold yellow")
        for q in rows[:30]:
            text.append(f"{q.table} {q.row_id} [{q.column}] {q.reason}\n")
        self.query_one("#mig-notes", Static).update(text)

    def _failed(self, exc: BaseException) -> None:
        self._cancel = None
        self.query_one(ProgressPanel).note("stopped")
        self.query_one("#mig-result", Static).update(
            Text(f"stopped: {exc}\nNothing committed is lost; press r to resume.", style="bold red"))
        self.refresh_history()

    def action_cancel(self) -> None:
        if self._cancel is None:
            self.app.notify("Nothing is running.")
            return
        self._cancel.set()
        self.query_one("#mig-result", Static).update("cancelling after the current batch…")

    def action_verify(self) -> None:
        if not self._need_target() or self._busy():
            return
        target = self.target
        run_backend(self, lambda: self.migrator.verify(target, progress=self._progress),
                    done=self._verified_and_history, name="migration-verify", group="mig-verify",
                    exclusive=True)

    def _verified_and_history(self, report: Any) -> None:
        self._verified(report)
        self.refresh_history()

    def _verified(self, report: Any) -> None:
        table = self.query_one("#mig-verify", DataTable)
        table.clear()
        for name, verdict in verify_cells(report):
            table.add_row(name, verdict)

    # -- accept / switch / undo ---------------------------------------------------------
    def _confirm(self, title: str, body: str, label: str, then: Any) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmMigration(title, body, label), answered)

    def action_accept(self) -> None:
        if not self._need_target():
            return
        target = self.target
        self._confirm("Accept quarantined rows?",
                      f"The rows quarantined by the last run to {masked(target)} stay behind "
                      "(they are listed in its quarantine table). Switching is then allowed.",
                      "Accept", lambda: run_backend(
                          self, lambda: self.migrator.accept_quarantine(target),
                          done=lambda _r: self.refresh_history(), name="accept-quarantine"))

    def action_switch(self) -> None:
        if not self._need_target() or self._busy():
            return
        target = self.target
        self._confirm("Switch to the migrated database?",
                      f"storeroom.yaml will use {masked(target)} for logs and metrics; the SQLite "
                      "file moves to archive/ read-only. Undo (u) switches back.",
                      "Switch", lambda: run_backend(
                          self, lambda: self.migrator.switch(target), done=self._switched,
                          name="migration-switch"))

    def action_undo(self) -> None:
        if self._busy():
            return
        self._confirm("Undo the switch?",
                      "storeroom.yaml gets its previous backend back and the archived SQLite "
                      "file returns.", "Undo", lambda: run_backend(
                          self, self.migrator.undo, done=self._switched, name="migration-undo"))

    def _switched(self, result: Any) -> None:
        self.query_one("#mig-result", Static).update(Text(result.message, style="bold"))
        self.app.notify(result.message, title="Migration", timeout=10)
        self.refresh_history()


SCREEN = MigrateScreen
