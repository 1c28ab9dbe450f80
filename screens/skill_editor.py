"""The skill editor: a JSON TextArea with live validation, save, and conflict resolution.

Validation is pure (no I/O): JSON syntax first, then the backend's own skill schema, so
the editor and ``ws.skills.put`` can never disagree. While the text is invalid, save is
blocked and the status line names the line; ctrl+g puts the cursor there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static, TextArea

from backend.errors import Conflict, StorageError, ValidationError
from tui.workers import describe_error, run_backend

from .skill_conflict import KEEP_MINE, MERGE, TAKE_THEIRS, ConflictScreen
from .skill_widgets import ConfirmScreen, merge_with_markers


@dataclass(frozen=True)
class Problem:
    """Why the editor text cannot be saved, and where (1-based line/column)."""

    message: str
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


def line_of_key(text: str, key: str) -> int | None:
    """1-based line of the least-indented ``"key":`` in pretty JSON (the top-level one)."""
    top = key.split(".")[0].split("[")[0]
    pattern = re.compile(r'^(\s*)"' + re.escape(top) + r'"\s*:')
    best: tuple[int, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = pattern.match(line)
        if match and (best is None or len(match.group(1)) < best[0]):
            best = (len(match.group(1)), number)
    return best[1] if best else None


def check_skill_text(text: str, validate: Callable[[dict[str, Any]], Any],
                     ) -> tuple[Any, Problem | None]:
    """Parse and validate editor text; returns (the validated skill, None) or (None, problem)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, Problem(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    if not isinstance(data, dict):
        return None, Problem("a skill must be a JSON object ({...})", 1, 1)
    try:
        return validate(data), None
    except ValidationError as exc:
        line = exc.line or (line_of_key(text, exc.where) if exc.where else None)
        return None, Problem(exc.message, line)


@dataclass(frozen=True)
class EditResult:
    """What the editor did: ``saved`` (the stored skill) or None if nothing was written."""

    skill_id: str | None
    saved: Any = None


class SkillEditorScreen(Screen[EditResult]):
    """Edit one skill's JSON. Dismisses with an :class:`EditResult`."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="editor.save", priority=True),
        Binding("ctrl+g", "goto_error", "Go to error", id="editor.goto-error"),
        # priority: a code-editor TextArea would otherwise take escape to move focus.
        Binding("escape", "close", "Close", id="editor.close", priority=True),
    ]

    def __init__(self, text: str, *, skill_id: str | None, expected: Any,
                 validate: Callable[[dict[str, Any]], Any], heading: str) -> None:
        super().__init__()
        self.initial_text = text
        self.skill_id = skill_id
        self.expected = expected
        self.validate = validate
        self.heading = heading
        self.problem: Problem | None = None
        self._saving = False
        self._check_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.heading, id="editor-heading")
        yield TextArea.code_editor(self.initial_text, language="json", id="skill-json",
                                   tab_behavior="indent")
        yield Static("", id="editor-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self._revalidate()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @on(TextArea.Changed)
    def _text_changed(self) -> None:
        # Small texts are checked on every key; a big one (skills go up to 1 MiB) once the
        # typing pauses, so parsing never lags the keyboard.
        if self._check_timer is not None:
            self._check_timer.stop()
            self._check_timer = None
        if len(self.text) < 64 * 1024:
            self._revalidate()
        else:
            self._check_timer = self.set_timer(0.3, self._revalidate)

    def _revalidate(self) -> None:
        _, self.problem = check_skill_text(self.text, self.validate)
        status = self.query_one("#editor-status", Static)
        status.set_class(self.problem is not None, "-invalid")
        if self.problem is None:
            status.update("✓ valid — ctrl+s saves")
        else:
            jump = " (ctrl+g jumps there)" if self.problem.line else ""
            status.update(f"✗ {self.problem.describe()}{jump} — save is blocked until fixed")

    def action_goto_error(self) -> None:
        if self.problem is None or self.problem.line is None:
            self.notify("Nothing to jump to: the text is valid.")
            return
        area = self.query_one(TextArea)
        area.cursor_location = (self.problem.line - 1, max((self.problem.column or 1) - 1, 0))
        area.scroll_cursor_visible(center=True)
        area.focus()

    # -- save ---------------------------------------------------------------------
    def action_save(self) -> None:
        skill, problem = check_skill_text(self.text, self.validate)
        if problem is not None:
            self.notify(f"Not saved: {problem.describe()}", title="Invalid skill",
                        severity="error")
            return
        if self._saving:
            return
        self._put(skill, self.expected)

    def _put(self, skill: Any, expected: Any) -> None:
        self._saving = True
        ws = self.app.ws
        run_backend(self, lambda: ws.skills.put(skill, expected=expected), done=self._saved,
                    failed=self._save_failed, name="save-skill", notify=False)

    def _saved(self, stored: Any) -> None:
        self._saving = False
        self.notify(f"Saved {stored.id} (version {stored.version}).", title="Skill saved")
        self.dismiss(EditResult(stored.id, stored))

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, Conflict):
            self._show_conflict(exc)
        else:
            self.notify(describe_error(exc), title="Not saved", severity="error", timeout=10)

    def _show_conflict(self, exc: Conflict) -> None:
        mine = exc.mine
        theirs_raw = getattr(exc, "theirs_raw", None)
        theirs_text = theirs_raw.decode("utf-8", "replace") if theirs_raw is not None else None
        theirs_hash = getattr(exc, "theirs_hash", None)
        label = f" (now version {exc.theirs.version})" if exc.theirs is not None else ""
        creating = self.expected is None  # a new skill (or a duplicate) whose id is taken
        screen = ConflictScreen(mine.id, self.text, theirs_text, theirs_label=label,
                                creating=creating)
        self.app.push_screen(
            screen,
            lambda choice: self._resolve(choice, mine, exc.theirs, theirs_text, theirs_hash))

    def _resolve(self, choice: str | None, mine: Any, theirs: Any, theirs_text: str | None,
                 theirs_hash: str | None) -> None:
        if choice == KEEP_MINE:
            self.expected = theirs_hash
            self._put(mine, theirs_hash)  # over exactly the version we were shown
        elif choice == TAKE_THEIRS:
            self.notify("Kept the version on disk; your edits were discarded.")
            self.dismiss(EditResult(mine.id, theirs))
        elif choice == MERGE:
            merged, blocks = merge_with_markers(self.text, theirs_text or "")
            self.expected = theirs_hash
            self.query_one(TextArea).load_text(merged)
            self._revalidate()
            self.action_goto_error()
            self.notify(f"{blocks} conflicting block(s) marked <<<<<<< mine / ======= / "
                        ">>>>>>> theirs: keep what you want, delete the markers, then ctrl+s.",
                        title="Merge", timeout=10)

    # -- close --------------------------------------------------------------------
    def action_close(self) -> None:
        if self.text == self.initial_text:
            self.dismiss(EditResult(self.skill_id))
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(EditResult(self.skill_id))

        self.app.push_screen(ConfirmScreen("Discard changes?", "Your edits are not saved.",
                                           confirm_label="Discard"), answered)


__all__ = ["SkillEditorScreen", "EditResult", "Problem", "check_skill_text", "StorageError"]
