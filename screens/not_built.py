"""The page an area shows until its screen exists: says so plainly, shows no fake data."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class NotBuiltScreen(Screen):
    """Placeholder for an area whose screen is not part of this build."""

    def __init__(self, title: str, summary: str) -> None:
        super().__init__()
        self.area_title = title
        self.summary = summary

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="not-built"):
            yield Static(f"[b]{self.area_title}[/b]", classes="title")
            yield Static(self.summary)
            yield Static("This area is not built yet in this version of storeroom.",
                         classes="muted")
        yield Footer()
