"""Small pieces shared by the Skills and Cache screens: diffs, confirm dialog, formatting."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

T = TypeVar("T")
DIFF_STYLES = {"+": "green", "-": "red", "@": "bold cyan"}


def unified_diff(old: str, new: str, *, old_name: str = "theirs", new_name: str = "mine",
                 context: int = 3) -> list[str]:
    """Lines of a unified diff from ``old`` to ``new`` (no trailing newlines)."""
    return list(difflib.unified_diff(old.splitlines(), new.splitlines(), fromfile=old_name,
                                     tofile=new_name, lineterm="", n=context))


def diff_text(lines: list[str]) -> Text:
    """Colour a unified diff: additions green, removals red, hunk headers cyan."""
    text = Text()
    for line in lines:
        if line.startswith(("+++", "---")):
            style = "bold"
        else:
            style = DIFF_STYLES.get(line[:1], "")
        text.append(line + "\n", style=style)
    if not lines:
        text.append("(no difference)", style="dim")
    return text


def merge_with_markers(mine: str, theirs: str) -> tuple[str, int]:
    """Line merge of two texts: equal lines kept, each differing block wrapped in git-style
    conflict markers (mine on top). Returns the text and the number of conflict blocks."""
    a, b = mine.splitlines(), theirs.splitlines()
    out: list[str] = []
    conflicts = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out += a[i1:i2]
            continue
        conflicts += 1
        out += ["<<<<<<< mine", *a[i1:i2], "=======", *b[j1:j2], ">>>>>>> theirs"]
    return "\n".join(out) + "\n", conflicts


def human_ttl(seconds: float | None) -> str:
    """Redis TTL for people: -1 'no expiry', -2 'gone', else '7d', '3h 5m', '42s'.

    Above a day it rounds to the hour, so a key written a second ago still reads '7d'."""
    if seconds is None:
        return "—"
    if seconds == -1:
        return "no expiry"
    if seconds < 0:
        return "gone"
    if seconds >= 86400:
        hours = round(seconds / 3600)
        days, hours = divmod(hours, 24)
        return f"{days}d" + (f" {hours}h" if hours else "")
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60)}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m {int(seconds % 60)}s"
    return f"{int(seconds)}s"


def short_time(value: datetime | str | None) -> str:
    """A timestamp as 'YYYY-MM-DD HH:MM' in UTC (stable for snapshots and across machines)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M")


class Latest:
    """Drops out-of-order worker results: only the newest request's answers are shown.

    ``exclusive`` workers cannot stop a thread mid-call, so an older, slower call can
    finish after a newer one. ``guard = latest.begin()`` starts a request; wrap its
    ``done`` and ``failed`` callbacks with ``guard(...)``: once a newer request has begun
    they do nothing.
    """

    def __init__(self) -> None:
        self._seq = 0

    def begin(self) -> Callable[[Callable[[T], Any]], Callable[[T], None]]:
        self._seq += 1
        mine = self._seq

        def guard(callback: Callable[[T], Any]) -> Callable[[T], None]:
            def deliver(value: T) -> None:
                if mine == self._seq:
                    callback(value)

            return deliver

        return guard


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no question. ``y``/enter on the confirm button confirms, ``n``/escape cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: str | Text, *, confirm_label: str = "Yes",
                 danger: bool = True) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._body, id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._confirm_label} (y)", id="confirm-yes",
                             variant="error" if self._danger else "primary")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ScreenActions(Provider):
    """Command-palette entries for the current screen's own bindings ("Skills: Edit (e)"),
    so every action is reachable from ctrl+p as well as by its key."""

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        title = getattr(screen, "PALETTE_TITLE", type(screen).__name__)
        seen: set[str] = set()
        commands = []
        for binding in type(screen).BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key_display or binding.key
            commands.append((f"{title}: {binding.description} ({key})", binding.action,
                             binding.tooltip or ""))
        return commands

    async def discover(self) -> Hits:
        for text, action, help_text in self._commands():
            yield DiscoveryHit(text, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, action, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self.screen.run_action, action),
                          text=text, help=help_text)
