"""``?``: the global keys and the current screen's keys, in one modal."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """Lists bindings; escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
    ]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("[b]storeroom — keys[/b]", classes="title")
            for heading, rows in self.sections:
                yield Static(f"\n[b]{heading}[/b]")
                # Text, not markup: keys such as "[" would otherwise be read as tags.
                text = Text("\n").join(Text.assemble("  ", (f"{key:<14}", "bold"), " ", what)
                                        for key, what in rows)
                yield Static(text if rows else "  (none)")
            yield Static("\nctrl+p opens the command palette: every area and action by name.",
                         classes="muted")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
