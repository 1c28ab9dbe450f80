"""The "new version" editor: a YAML TextArea validated live, saved with a message."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static, TextArea

from backend.errors import StorageError
from backend.workflows import WorkflowVersion
from tui.workers import run_backend


class WorkflowEditorScreen(Screen[WorkflowVersion | None]):
    """Edit a definition derived from ``parent`` and store it as the next version.

    Dismisses with the stored version, or None when cancelled.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save version", id="workflows.editor.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="workflows.editor.cancel"),
    ]

    def __init__(self, workflow_id: str, parent: int | None, text: str) -> None:
        super().__init__()
        self.workflow_id = workflow_id
        self.parent_version = parent
        self.initial_text = text
        self.valid: bool | None = None
        self.error_line: int | None = None
        self._generation = 0
        self._discard_armed = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="wf-editor-box"):
            source = f"from v{self.parent_version}" if self.parent_version else "first version"
            yield Static(Text.assemble(("New version of ", ""), (self.workflow_id, "bold"),
                                       f" ({source}); ctrl+s saves, escape cancels"),
                         id="wf-editor-title")
            yield TextArea.code_editor(self.initial_text, language="yaml", id="wf-editor",
                                       soft_wrap=False)
            yield Static("checking…", id="wf-editor-status")
            yield Input(placeholder="message: what changed and why (required)",
                        id="wf-editor-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#wf-editor", TextArea).focus()
        self._validate()

    @property
    def editor_text(self) -> str:
        return self.query_one("#wf-editor", TextArea).text

    @on(TextArea.Changed, "#wf-editor")
    def _changed(self) -> None:
        self.valid = None
        self._validate()

    def _validate(self) -> None:
        self._generation += 1
        generation, text = self._generation, self.editor_text
        store = self.app.ws.workflows
        run_backend(self, lambda: self._check(store, text), name="validate-workflow",
                    group="wf-validate", exclusive=True, notify=False,
                    done=lambda result: self._show_check(generation, result))

    @staticmethod
    def _check(store: Any, text: str) -> tuple[bool, str, int | None, list[str]]:
        try:
            _, warnings = store.validate(text, where="editor")
        except StorageError as exc:
            return False, exc.message, getattr(exc, "line", None), []
        return True, "", None, warnings

    def _show_check(self, generation: int, result: tuple[bool, str, int | None, list[str]]) -> None:
        if generation != self._generation or not self.is_mounted:
            return  # an older check finishing after a newer edit
        ok, message, line, warnings = result
        self.valid, self.error_line = ok, line
        status = self.query_one("#wf-editor-status", Static)
        status.set_class(not ok, "-invalid")
        if not ok:
            status.update(Text.assemble(("✗ ", "bold red"), (message, "red")))
            return
        text = Text.assemble(("✓ valid", "bold green"))
        for warning in warnings:
            text.append(f"\n⚠ {warning}", style="yellow")
        status.update(text)

    def action_focus_message(self) -> None:
        self.query_one("#wf-editor-message", Input).focus()

    @on(Input.Submitted, "#wf-editor-message")
    def _message_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.valid is not True:
            where = f" (line {self.error_line})" if self.error_line else ""
            self.notify(f"The definition is not valid{where}; fix it before saving.",
                        title="Not saved", severity="error")
            return
        message = self.query_one("#wf-editor-message", Input).value.strip()
        if not message:
            self.notify("Write a message saying what changed, then save.", title="Not saved",
                        severity="warning")
            self.action_focus_message()
            return
        store, text, parent = self.app.ws.workflows, self.editor_text, self.parent_version
        run_backend(self, lambda: store.store(self.workflow_id, text, parent=parent,
                                              message=message),
                    done=self.dismiss, name="store-workflow", group="wf-save", exclusive=True)

    def action_cancel(self) -> None:
        if self.editor_text != self.initial_text and not self._discard_armed:
            self._discard_armed = True
            self.notify("Unsaved changes: press escape again to discard them.", timeout=4)
            return
        self.dismiss(None)
