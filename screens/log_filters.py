"""The Logs screen's filter bar: inputs -> a LogFilter, with clear messages on bad values."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Select

from backend.errors import ValidationError
from backend.logs import LogFilter
from backend.logs.validate import to_utc

STATUS_CHOICES: list[tuple[str, frozenset[str]]] = [
    ("failure or timeout", frozenset({"failure", "timeout"})),
    ("success", frozenset({"success"})),
    ("failure", frozenset({"failure"})),
    ("timeout", frozenset({"timeout"})),
    ("cancelled", frozenset({"cancelled"})),
]
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_when(text: str, name: str, now: datetime) -> datetime | None:
    """'' -> None; '24h' / '7d' -> that long before ``now``; else ISO-8601 with a zone."""
    text = text.strip()
    if not text:
        return None
    match = _AGE.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    return to_utc(text, name, "filter")


class FilterBar(Horizontal):
    """Workflow, version, status, error text and time range; Enter applies."""

    class Changed(Message):
        """The user applied the filter (Enter in a field or a new status)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="workflow", id="f-workflow")
        yield Input(placeholder="ver", id="f-version", type="integer")
        yield Select([(label, i) for i, (label, _) in enumerate(STATUS_CHOICES)],
                     prompt="any status", id="f-status")
        yield Input(placeholder="text in error", id="f-text")
        yield Input(placeholder="since: 24h / ISO", id="f-since")
        yield Input(placeholder="until", id="f-until")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Changed())

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed())

    def values(self) -> dict[str, Any]:
        status = self.query_one("#f-status", Select).value
        return {
            "workflow": self.query_one("#f-workflow", Input).value.strip(),
            "version": self.query_one("#f-version", Input).value.strip(),
            "statuses": STATUS_CHOICES[status][1] if isinstance(status, int) else frozenset(),
            "text": self.query_one("#f-text", Input).value.strip(),
            "since": self.query_one("#f-since", Input).value,
            "until": self.query_one("#f-until", Input).value,
        }

    def clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
        self.query_one("#f-status", Select).clear()


def build_filter(values: dict[str, Any], now: datetime, limit: int) -> LogFilter:
    """A LogFilter from the bar's values; ValidationError (with a hint) on a bad field."""
    version = values["version"]
    if version and not version.isdigit():
        raise ValidationError(f"version {version!r} is not a number", where="filter")
    return LogFilter(
        workflow_id=values["workflow"] or None,
        workflow_version=int(version) if version else None,
        statuses=values["statuses"],
        since=parse_when(values["since"], "since", now),
        until=parse_when(values["until"], "until", now),
        error_text=values["text"] or None,
        limit=limit,
        with_payload=False,
    )
