"""The Skills table: its columns, the filter syntax, and rows kept live from backend events."""

from __future__ import annotations

from typing import Any

from textual.timer import Timer
from textual.widgets import DataTable

from backend.events import Event
from tui.workers import run_backend

from .skill_detail import SkillDetail
from .skill_widgets import short_time

# Table column -> the backend's sort key.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "id", "id"),
    ("name", "name", "name"),
    ("tags", "tags", ""),
    ("ver", "version", "version"),
    ("updated", "updated", "updated_at"),
)
SORTABLE = [sort for _, _, sort in COLUMNS if sort]


def parse_filter(value: str) -> tuple[str | None, str | None]:
    """'tag:rag chunk' -> (tag 'rag', text 'chunk'); the last tag: wins."""
    tag = None
    words = []
    for word in value.split():
        if word.lower().startswith("tag:") and len(word) > 4:
            tag = word[4:]
        else:
            words.append(word)
    return tag, (" ".join(words) or None)


def clip(value: str, width: int) -> str:
    """``value`` cut to ``width`` characters, with an ellipsis when cut."""
    return value if len(value) <= width else value[: width - 1] + "…"


def cells(skill: Any) -> tuple[str, ...]:
    """A row for a skill (or summary); clipped so id, version and date stay visible."""
    return (clip(skill.id, 30), clip(skill.name, 22), clip(", ".join(skill.tags), 16),
            str(skill.version), short_time(skill.updated_at)[:10])


class LiveRows:
    """Mixed into the Skills screen: backend events refresh the affected row (or the page).

    Subscribers run on the publisher's thread (a worker, the file watcher), so each event
    hops to the UI thread first.
    """

    selected_id: str | None
    _reload_timer: Timer | None = None

    def _on_backend_event(self, event: Event) -> None:
        if not event.kind.startswith(("skill.", "skills.")):
            return
        try:
            self.app.call_from_thread(self._skill_event, event)
        except RuntimeError:
            self._skill_event(event)  # published on the UI thread

    def _skill_event(self, event: Event) -> None:
        if not self.is_mounted:
            return
        table = self.query_one("#skills-table", DataTable)
        if event.kind.startswith("skills."):  # the catalogue as a whole (first load, rescans)
            self._reload_soon()
            return
        if event.kind != "skill.deleted" and event.subject in table.rows:
            ws = self.app.ws
            run_backend(self, lambda: ws.skills.get(event.subject), done=self._update_row,
                        name="refresh-skill", notify=False,
                        failed=lambda _: self._reload_soon())
        else:
            self._reload_soon()
        if event.subject == self.selected_id:
            self.query_one(SkillDetail).load(event.subject)

    def _update_row(self, skill: Any) -> None:
        table = self.query_one("#skills-table", DataTable)
        if skill.id not in table.rows:
            return
        for (_, key, _), value in zip(COLUMNS, cells(skill), strict=True):
            table.update_cell(skill.id, key, value)

    def _reload_soon(self) -> None:
        # A burst of events (an import, a folder sync) becomes one page load.
        if self._reload_timer is not None:
            self._reload_timer.stop()
        self._reload_timer = self.set_timer(0.2, self.action_refresh)
