"""Skills/Cache screen test helpers: a deterministic workspace and a stable App."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static, TextArea

from backend import init_workspace, open_workspace
from backend.workspace import Workspace
from screens.cache import CacheScreen
from screens.skills import SkillsScreen
from tui.app import StoreroomApp

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima"]
TAGS = ["http", "text", "files", "rag"]
SKILL_COUNT = 60  # more than one page (50)


def fixed_skill(i: int) -> dict[str, Any]:
    """Skill number ``i``: the same bytes on every run (fixed timestamps, no randomness)."""
    word = WORDS[i % len(WORDS)]
    return {
        "id": f"{word}-{i:02d}",
        "name": f"{word.capitalize()} tool {i}",
        "description": f"Does the {word} thing, step {i}.",
        "tags": [TAGS[i % len(TAGS)]] + (["slow"] if i % 7 == 0 else []),
        "code": f"def run(x):\n    return x + {i}\n",
        "version": 1 + i % 3,
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": f"2026-03-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        "owner": "team-a",
    }


OLD_MTIME = 1_772_000_000  # 2026-02-25: files older than the clock tick are cached normally


def write_skill_file(folder: Path, data: dict[str, Any], *, old: bool = False) -> Path:
    """Write a skill file; ``old`` back-dates it (a fresh mtime makes the store re-verify
    every read, as git does for "racy" files, so nothing would be served from memory)."""
    path = folder / f"{data['id']}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if old:
        os.utime(path, (OLD_MTIME, OLD_MTIME))
    return path


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    """A workspace 'demo' (id 'demo': stable Redis prefix) with 60 skills and one broken file."""
    root = init_workspace(tmp_path / "demo")
    (root / "storeroom.yaml").write_text(
        "workspace:\n  name: demo\n  id: demo\nui:\n  refresh_interval: 1h\n"
        # The search panel above the table indexes the skills: the lexical engine is quick.
        "index:\n  embedder: lexical\n")
    for i in range(SKILL_COUNT):
        write_skill_file(root / "skills", fixed_skill(i), old=True)
    (root / "skills" / "broken.json").write_text('{\n  "id": "broken",\n  "name": \n', encoding="utf-8")
    return root


def open_ws(root: Path, **env: str) -> Workspace:
    return open_workspace(root, env=env)


class StableCache(CacheScreen):
    """The Cache screen with run-to-run noise (port, latency, memory) made constant."""

    sample_every = 3600  # one sample (on mount) per snapshot, however slow the machine

    def format_url(self, url: str | None) -> str:
        return "redis://127.0.0.1:PORT" if url else "—"

    def format_latency(self, latency_ms: float | None) -> str:
        return "n ms" if latency_ms is not None else "—"

    def format_memory(self, used: str | None) -> str:
        return "n used" if used else "—"

    def format_error(self, error: str | None) -> str:
        return "connection refused" if error else "unknown"

    def format_micros(self, value: float | None) -> str:
        return "n µs" if value is not None else "—"

    def format_breaker(self, breaker: str) -> str:
        # An open breaker reads half-open once its first backoff (0.5 s) has passed:
        # timing, not behaviour (the pilot tests check the real state).
        return "open" if breaker == "half-open" else breaker

    def format_errors(self, count: int) -> str:
        # How many calls a down Redis refused depends on how often the breaker let one try.
        return "some" if count else "0"


def make_app(ws: Workspace, mode: str = "skills") -> StoreroomApp:
    """The App opened on ``mode`` with a header that does not show the temp path."""

    class StableApp(StoreroomApp):
        MODES = {**StoreroomApp.MODES, "cache": StableCache}
        DEFAULT_MODE = mode

        def on_mount(self) -> None:
            self.sub_title = ws.name

    return StableApp(ws)


def plain(widget: Any) -> str:
    """What a Static shows, as plain text (Rich tables and Text alike)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.export_text()


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0,
                   what: str = "condition") -> None:
    """Pause the pilot until ``condition()`` holds (workers are real threads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


# --------------------------------------------------------------- Skills screen helpers

def table_of(app) -> DataTable:  # noqa: ANN001
    return app.screen.query_one("#skills-table", DataTable)


def status_of(app) -> str:  # noqa: ANN001
    return plain(app.screen.query_one("#skills-status", Static))


def ids_of(app) -> list[str]:  # noqa: ANN001
    return [str(key.value) for key in table_of(app).rows]


async def skills_ready(pilot) -> None:  # noqa: ANN001
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SkillsScreen), what="skills screen")
    await wait_for(pilot, lambda: table_of(pilot.app).row_count == 50, what="first page")
    # A cold store answers with a quick first page, then the exact one once every file is read.
    await wait_for(pilot, lambda: "checking" not in status_of(pilot.app), what="exact first page")


async def detail_shows(pilot, skill_id: str) -> None:  # noqa: ANN001
    def shown() -> bool:
        title = pilot.app.screen.query_one("#detail-title", Static)
        return skill_id in plain(title)
    await wait_for(pilot, shown, what=f"detail of {skill_id}")


def replace_value(area: TextArea, key: str, value: str) -> None:
    """Replace the top-level ``"key": ...`` line of pretty JSON with a new string value."""
    lines = area.text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith(f'  "{key}":'):
            comma = "," if line.rstrip().endswith(",") else ""
            start, end = (number, 0), (number, len(line))
            area.replace(f'  "{key}": {json.dumps(value)}{comma}', start, end)
            return
    raise AssertionError(f"no top-level {key!r} line")


async def search_settled(pilot: Any) -> None:
    """Wait until the search panel (issue 4's widget, if mounted) has finished indexing."""
    found = pilot.app.screen.query("#search-status")
    if not found:
        return
    status = found.first(Static)
    await wait_for(pilot, lambda: not any(word in plain(status) for word in
                                          ("starting", "indexing", "loading")),
                   timeout=20, what="search index ready")
