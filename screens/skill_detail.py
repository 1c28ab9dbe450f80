"""The Skills screen's detail pane: one skill, the tier that served it, drift, and history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from backend.skills import InvalidSkill
from backend.skills.results import TierCopy, TierView
from tui.workers import run_backend

from .skill_widgets import Latest, short_time

TIER_NAMES = ("memory", "redis", "disk")


@dataclass(frozen=True)
class DetailData:
    """Everything the pane shows, fetched together in one worker."""

    skill: Any
    served_by: str
    tiers: Any
    history: list[Any]


def fetch_detail(ws: Any, skill_id: str) -> DetailData:
    """Blocking: read the skill through the tiers, what each tier holds, and its audit trail."""
    served = ws.skills.get_with_tier(skill_id)
    tiers = ws.skills.tier_view(skill_id)
    history = ws.skills.audit_entries(skill_id, limit=20)  # includes a save made just now
    return DetailData(served.skill, served.tier, tiers, history)


STATE_STYLE = {"current": "green", "missing": "dim", "stale": "bold yellow",
               "unreachable": "bold red", "off": "dim"}
STATE_MARK = {"current": "●", "stale": "≠", "unreachable": "✗", "off": "–"}


def tier_badges(served_by: str, tiers: TierView) -> Text:
    """The serving tier as a badge, then one line per tier: what it holds right now."""
    text = Text("served from ")
    text.append(f" {served_by} ", style="bold reverse")
    for name in TIER_NAMES:
        state = tier_state(tiers, name)
        text.append(f"\n{STATE_MARK.get(state, '○')} {name:<7}", style=STATE_STYLE.get(state, ""))
        text.append(f"{state}{tier_note(tiers, name, state)}", style=STATE_STYLE.get(state, ""))
    return text


def tier_note(tiers: TierView, name: str, state: str) -> str:
    """A short why/what after the state: the Redis error, the version a stale copy holds."""
    copy: TierCopy | None = getattr(tiers, name)
    if name == "redis" and copy is None and state == "off":
        return f" ({tiers.redis_error})"
    if name == "redis" and copy is None and state == "unreachable":
        return " (details: Cache screen, key 6)"
    if copy is not None and state == "stale":
        return f" (holds version {copy.version}, not the file's)"
    return ""


def tier_state(tiers: TierView, name: str) -> str:
    """One tier's copy as a word: current, stale, missing, unreachable or off."""
    copy: TierCopy | None = getattr(tiers, name)
    if copy is not None:
        return "stale" if copy.stale else "current"
    if name == "redis" and tiers.redis_error:
        return "off" if "not configured" in tiers.redis_error else "unreachable"
    return "missing"


class SkillDetail(Vertical):
    """Shows a skill; ``load(id)`` fetches in a worker, ``show_empty(msg)`` explains absence."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._latest = Latest()

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-title")
        yield Static("", id="detail-tiers")
        yield Static("", id="detail-meta")
        yield Static("History", classes="panel-title", id="detail-history-title")
        yield Static("", id="detail-history")
        yield Static("Code", classes="panel-title", id="detail-code-title")
        yield Static("", id="detail-code")

    def load(self, skill_id: str) -> None:
        ws = self.app.ws
        guard = self._latest.begin()
        run_backend(self, lambda: fetch_detail(ws, skill_id), done=guard(self.show),
                    failed=guard(lambda exc: self.show_failure(skill_id, exc)),
                    notify=False, name="skill-detail", group="skill-detail", exclusive=True)

    def show_failure(self, skill_id: str, exc: BaseException) -> None:
        """The skill could not be read: invalid on disk (with the reason), gone, or an error."""
        if isinstance(exc, InvalidSkill):
            self.show_empty("")
            self.query_one("#detail-title", Static).update(Text.assemble(
                (skill_id, "bold"), "  ", ("✗ invalid", "bold reverse red")))
            self.query_one("#detail-meta", Static).update(Text.assemble(
                ("valid   ", "bold"), (f"no — {exc.reason}", "red"),
                "\nNot served from any tier until fixed. Press o to fix it in $EDITOR, or pick "
                "it in the invalid list and press e."))
            return
        self.show_empty(str(exc))

    def show_empty(self, message: str) -> None:
        self._latest.begin()  # an answer still on its way is now out of date
        self.query_one("#detail-title", Static).update(Text(message, style="italic"))
        for name in ("tiers", "meta", "history", "code"):
            self.query_one(f"#detail-{name}", Static).update("")
        for name in ("history-title", "code-title"):
            self.query_one(f"#detail-{name}").display = False

    def show(self, data: DetailData) -> None:
        skill = data.skill
        for name in ("history-title", "code-title"):
            self.query_one(f"#detail-{name}").display = True
        self.query_one("#detail-title", Static).update(
            Text.assemble((skill.name, "bold"), "  ", (skill.id, "dim")))
        self.query_one("#detail-tiers", Static).update(tier_badges(data.served_by, data.tiers))
        meta = Table.grid(padding=(0, 1))
        meta.add_column(style="bold", no_wrap=True)
        meta.add_column()
        meta.add_row("valid", Text("yes — matches the skill schema", style="green"))
        meta.add_row("version", str(skill.version))
        meta.add_row("tags", ", ".join(skill.tags) or "—")
        meta.add_row("created", short_time(skill.created_at))
        meta.add_row("updated", short_time(skill.updated_at))
        if skill.extra:
            meta.add_row("extra", ", ".join(sorted(skill.extra)))
        meta.add_row("about", skill.description or "—")
        self.query_one("#detail-meta", Static).update(meta)
        self.query_one("#detail-history", Static).update(history_table(data.history))
        code = skill.code or ""
        self.query_one("#detail-code", Static).update(
            Syntax(code, "python", theme="ansi_dark", line_numbers=False, word_wrap=True)
            if code else Text("no code", style="dim"))


def history_table(entries: list[Any]) -> Group | Text:
    """Audit entries newest first: when, who, what, before -> after hash."""
    if not entries:
        return Text("no recorded changes (imports and edits made before auditing show none)",
                    style="dim")
    table = Table.grid(padding=(0, 1))
    for entry in entries:
        before = (entry.before_hash or "")[:8] or "—"
        after = (entry.after_hash or "")[:8] or "—"
        table.add_row(short_time(entry.at), entry.actor, Text(entry.action, style="bold"),
                      f"{before} → {after}")
    return Group(table)
