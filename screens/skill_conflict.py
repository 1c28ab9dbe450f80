"""The conflict dialog: a save raced another change; show both sides and let the user choose."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from .skill_widgets import diff_text, unified_diff

# What the dialog returns; None means "back to the editor, decide later".
KEEP_MINE = "mine"
TAKE_THEIRS = "theirs"
MERGE = "merge"


class ConflictScreen(ModalScreen[str | None]):
    """Coloured unified diff from theirs (on disk now) to mine (the editor), and three ways out."""

    BINDINGS = [
        Binding("k", f"choose('{KEEP_MINE}')", "Keep mine", id="conflict.keep-mine"),
        Binding("t", f"choose('{TAKE_THEIRS}')", "Take theirs", id="conflict.take-theirs"),
        Binding("m", f"choose('{MERGE}')", "Merge in editor", id="conflict.merge"),
        Binding("escape", "choose(None)", "Back to editor", id="conflict.back"),
    ]

    def __init__(self, skill_id: str, mine_text: str, theirs_text: str | None, *,
                 theirs_label: str = "", creating: bool = False) -> None:
        super().__init__()
        self.skill_id = skill_id
        self.mine_text = mine_text
        self.theirs_text = theirs_text
        self.theirs_label = theirs_label
        self.creating = creating

    def compose(self) -> ComposeResult:
        if self.theirs_text is None:
            what = "was deleted on disk while you were editing it."
            lines = unified_diff("", self.mine_text, old_name="theirs (deleted)")
        elif self.creating:
            what = (f"already exists{self.theirs_label}: keep mine overwrites it, take theirs "
                    "drops your new skill.")
            lines = unified_diff(self.theirs_text, self.mine_text)
        else:
            what = f"changed on disk while you were editing it{self.theirs_label}."
            lines = unified_diff(self.theirs_text, self.mine_text)
        with Vertical(id="conflict-box", classes="dialog"):
            yield Static(f"Conflict: skill {self.skill_id!r} {what}", classes="dialog-title",
                         id="conflict-title")
            yield Static("The diff goes from theirs (the file now) to mine (your edit): "
                         "[green]+ lines are yours[/], [red]- lines are theirs[/].",
                         id="conflict-help", classes="muted")
            with VerticalScroll(id="conflict-diff"):
                yield Static(diff_text(lines), id="conflict-diff-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep mine (k)", id="conflict-mine", variant="warning")
                yield Button("Take theirs (t)", id="conflict-theirs", variant="primary")
                yield Button("Merge in editor (m)", id="conflict-merge")
                yield Button("Back (esc)", id="conflict-back")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choice = {"conflict-mine": KEEP_MINE, "conflict-theirs": TAKE_THEIRS,
                  "conflict-merge": MERGE}.get(event.button.id or "")
        self.dismiss(choice)

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)
