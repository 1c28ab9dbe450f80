"""Retention dialog: edit the policy, preview what goes, apply it in the background."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Static

from backend.config.coerce import format_duration
from backend.errors import ValidationError
from backend.logs import RetentionPolicy, RetentionPreview, RetentionResult
from tui.workers import run_backend

from .log_filters import _AGE, _UNITS

DEFAULT_AGE = "30d"
DEFAULT_KEEP = "90d"


def parse_age(text: str, name: str) -> timedelta | None:
    text = text.strip()
    if not text:
        return None
    match = _AGE.match(text)
    if not match:
        raise ValidationError(f"{name} {text!r} is not a duration", hint="Write it like 12h, 30d, 8w.")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def preview_text(preview: RetentionPreview) -> Text:
    if preview.total == 0:
        return Text("Nothing to delete with this policy.", style="green")
    out = Text.assemble(("Would archive and delete ", ""), (f"{preview.total:,} runs", "bold"))
    if preview.oldest and preview.newest:
        out.append(f"\nstarted {preview.oldest:%Y-%m-%d} … {preview.newest:%Y-%m-%d} (UTC)", style="dim")
    statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(preview.by_status.items()))
    out.append(f"\n{statuses}")
    for wf, n in sorted(preview.by_workflow.items(), key=lambda kv: -kv[1])[:8]:
        out.append(f"\n  {wf:<26} {n:>9,}")
    return out


class RetentionScreen(ModalScreen[bool]):
    """Preview (p) then apply (a); applying keeps going if the dialog is closed."""

    BINDINGS = [
        Binding("p", "preview", "Preview", id="retention.preview"),
        Binding("a", "apply", "Apply", id="retention.apply"),
        Binding("escape", "close", "Close", id="retention.close"),
    ]

    def compose(self) -> ComposeResult:
        cfg = self.app.ws.settings.logs.retention
        age = format_duration(cfg.max_age) if cfg.max_age else DEFAULT_AGE
        keep = format_duration(cfg.keep_failures_for) if cfg.keep_failures_for else DEFAULT_KEEP
        with Vertical(id="retention-box"):
            yield Static("Retention: archive to archive/ (gzip JSON lines), then delete",
                         classes="panel-title")
            with Horizontal(classes="retention-row"):
                yield Label("older than")
                yield Input(age, id="r-age", placeholder="30d")
                yield Label("keep last per workflow")
                yield Input(str(cfg.max_count or ""), id="r-count", placeholder="none",
                            type="integer")
                yield Label("keep failures for")
                yield Input(keep, id="r-keep", placeholder="90d")
            yield Static("Press p to preview.", id="r-result")
            yield ProgressBar(id="r-progress", show_eta=False)
            with Horizontal(classes="retention-row"):
                yield Button("Preview (p)", id="r-preview")
                yield Button("Apply (a)", id="r-apply", variant="warning")
                yield Button("Close (esc)", id="r-close")

    def on_mount(self) -> None:
        self.query_one("#r-progress", ProgressBar).display = False  # shown once applying
        self.query_one("#r-preview", Button).focus()
        self.action_preview()

    def policy(self) -> RetentionPolicy:
        count = self.query_one("#r-count", Input).value.strip()
        return RetentionPolicy(
            max_age=parse_age(self.query_one("#r-age", Input).value, "older than"),
            max_count=int(count) if count else None,
            keep_failures_for=parse_age(self.query_one("#r-keep", Input).value, "keep failures for"))

    def _policy_or_notify(self) -> RetentionPolicy | None:
        try:
            return self.policy()
        except ValidationError as exc:
            self.notify(str(exc), title="Retention", severity="error")
            return None

    def action_preview(self) -> None:
        policy = self._policy_or_notify()
        if policy is None:
            return
        ws = self.app.ws
        self.query_one("#r-result", Static).update("computing…")
        run_backend(self, lambda: ws.logs.preview_retention(policy), name="retention-preview",
                    group="retention", exclusive=True,
                    done=lambda p: self.query_one("#r-result", Static).update(preview_text(p)))

    def action_apply(self) -> None:
        policy = self._policy_or_notify()
        if policy is None:
            return
        app = self.app
        ws = app.ws
        bar = self.query_one("#r-progress", ProgressBar)
        bar.display = True
        self.query_one("#r-apply", Button).disabled = True
        self.query_one("#r-result", Static).update("archiving and deleting…")

        def progress(done: int, total: int) -> None:
            def show() -> None:
                if bar.is_mounted:
                    bar.update(total=total, progress=done)
            try:
                app.call_from_thread(show)
            except RuntimeError:
                pass

        def finished(result: RetentionResult) -> None:
            where = f", archived to {result.archive}" if result.archive else ""
            app.notify(f"Retention done: deleted {result.deleted:,} runs{where}.", title="Retention")
            if self.is_attached:
                self.dismiss(True)

        # On the app, not this dialog: closing the dialog must not orphan the work.
        run_backend(app, lambda: ws.logs.apply_retention(policy, progress=progress),
                    name="retention", group="retention-apply", exclusive=True, done=finished,
                    failed=lambda _e: self._reenable())

    def _reenable(self) -> None:
        if self.is_attached:
            self.query_one("#r-apply", Button).disabled = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions: dict[str | None, Any] = {"r-preview": self.action_preview,
                                          "r-apply": self.action_apply, "r-close": self.action_close}
        actions[event.button.id]()

    def action_close(self) -> None:
        self.dismiss(False)
