"""A yes/no dialog for the Migrate screen's switch, undo and accept actions."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmMigration(ModalScreen[bool]):
    """Asks once; ``y``/enter confirms, ``n``/escape cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="migrate.confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="migrate.confirm.no"),
    ]

    def __init__(self, title: str, body: str, confirm: str) -> None:
        super().__init__()
        self._title, self._body, self._confirm = title, body, confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="mig-confirm"):
            yield Static(self._title, classes="panel-title")
            yield Static(self._body, id="mig-confirm-body")
            with Horizontal(id="mig-confirm-buttons"):
                yield Button(f"{self._confirm} (y)", variant="warning", id="mig-yes")
                yield Button("Cancel (n)", id="mig-no")

    def on_mount(self) -> None:
        self.query_one("#mig-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "mig-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
