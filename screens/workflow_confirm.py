"""Confirm deleting a workflow version (and say what happens to its descendants)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDeleteScreen(ModalScreen[bool]):
    """Dismisses with True to delete, False to keep."""

    BINDINGS = [
        Binding("y", "answer(True)", "Delete", id="workflows.delete.yes"),
        Binding("n,escape", "answer(False)", "Keep", id="workflows.delete.no"),
    ]

    def __init__(self, workflow_id: str, version: int, descendants: list[int]) -> None:
        super().__init__()
        self.workflow_id = workflow_id
        self.version = version
        self.descendants = descendants

    def compose(self) -> ComposeResult:
        with Vertical(id="wf-confirm-box"):
            yield Static(f"Delete {self.workflow_id} v{self.version}?", classes="title")
            if self.descendants:
                names = ", ".join(f"v{n}" for n in self.descendants)
                yield Static(f"{names} descend from it. They are kept, under a 'deleted' "
                             f"marker in the lineage.", id="wf-confirm-warning")
            yield Static("The file is removed; a tombstone keeps its number and parent, "
                         "and the audit log records it.", classes="muted")
            with Horizontal(id="wf-confirm-buttons"):
                yield Button("Delete (y)", variant="error", id="wf-confirm-yes")
                yield Button("Keep (n)", id="wf-confirm-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "wf-confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
