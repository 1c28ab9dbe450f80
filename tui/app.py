"""The storeroom App: areas as modes, global bindings, error routing. Nothing else."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from backend.logfile import write_crash_file

from .areas import AREAS, Area

if TYPE_CHECKING:
    from backend.workspace import Workspace

log = logging.getLogger(__name__)


def _area_screen(area: Area) -> Screen:
    try:
        module = importlib.import_module(f"screens.{area.mode}")
    except ModuleNotFoundError as exc:
        if exc.name != f"screens.{area.mode}":
            raise
        from screens.not_built import NotBuiltScreen

        return NotBuiltScreen(area.title, area.summary)
    return module.SCREEN()


class StoreroomApp(App[int]):
    """Terminal UI over one workspace; screens reach the backend through ``app.ws``."""

    CSS_PATH = Path(__file__).with_name("storeroom.tcss")
    TITLE = "storeroom"
    ENABLE_COMMAND_PALETTE = True
    MODES = {area.mode: (lambda area=area: _area_screen(area)) for area in AREAS}
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        *(Binding(a.key, f"switch_mode('{a.mode}')", a.title, show=False, id=f"area.{a.mode}")
          for a in AREAS),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.sub_title = f"{ws.name} — {ws.root}"
        if ws.settings.ui.theme in self.available_themes:
            self.theme = ws.settings.ui.theme

    def on_mount(self) -> None:
        self.start_background_services()

    def start_background_services(self) -> None:
        """Open the skill index at start: it reconciles the folder (with progress events
        the Dashboard and Skills screen show) and starts the watcher, off the UI thread."""
        from .workers import run_backend

        run_backend(self, lambda: self.ws.search, name="skill-index", group="index")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for area in AREAS:
            yield SystemCommand(f"Go to {area.title} ({area.key})", area.summary,
                                lambda mode=area.mode: self.switch_mode(mode))
        yield SystemCommand("Help: keys", "Show every key binding", self.action_help)

    def action_help(self) -> None:
        from screens.help import HelpScreen

        global_rows = [(a.key, f"go to {a.title}") for a in AREAS]
        global_rows += [("?", "this help"), ("ctrl+p", "command palette"), ("q", "quit")]
        screen_rows = [
            (self.get_key_display(b), b.description)
            for cls in type(self.screen).__mro__
            if not cls.__module__.startswith("textual.")
            for b in vars(cls).get("BINDINGS", [])
            if isinstance(b, Binding) and b.description
        ]
        self.push_screen(HelpScreen([("Everywhere", global_rows),
                                     (f"On this screen ({self.current_mode})", screen_rows)]))

    # -- crashes ------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        try:
            self.crash_file = write_crash_file(self.ws.paths.log_dir, error)
            log.error("crash written to %s", self.crash_file)
        except OSError:
            self.crash_file = None
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        # A short, redacted pointer instead of a traceback full of locals.
        from rich.segment import Segments

        where = getattr(self, "crash_file", None)
        message = Text.assemble(
            ("storeroom hit an unexpected error and closed. ", "bold red"),
            f"Details (secrets redacted): {where}" if where else "See the log file.",
        )
        self._exit_renderables.append(Segments(self.console.render(message, self.console.options)))
        self._close_messages_no_wait()
