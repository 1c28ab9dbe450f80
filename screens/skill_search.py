"""Skill search panel: find skills by meaning, words or exact id, with a tag filter.

A reusable widget (the Skills screen mounts it above its table). It opens the workspace's
live index in a worker, shows its state (model or LEXICAL FALLBACK, build progress),
searches as you type, and lists each result with its score and why it matched. Picking
a result posts :class:`SkillSearch.SkillChosen` and asks the screen to show the skill.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, ProgressBar, Select, Static

from backend.events import Event
from tui.workers import describe_error, run_backend

WHY_STYLE = {"exact": "bold", "meaning": "italic", "words": ""}
TYPING_PAUSE = 0.15  # seconds of no typing before a search runs
MAX_RESULTS = 20


class SkillSearch(Vertical):
    """Search box + tag filter + state line + results (score, why, id, name)."""

    DEFAULT_CSS = """
    SkillSearch { height: auto; }
    SkillSearch #search-row { height: 3; }
    SkillSearch #search-query { width: 1fr; }
    SkillSearch #search-tag { width: 26; }
    SkillSearch #search-status { height: 1; color: $text-muted; padding: 0 1; }
    SkillSearch #search-status.-fallback { color: $warning; }
    SkillSearch #search-status.-error { color: $error; }
    SkillSearch #search-progress { height: 1; padding: 0 1; }
    SkillSearch #search-results { height: auto; max-height: 12; }
    """
    BINDINGS = [
        Binding("escape", "clear", "Clear search", id="skill-search.clear"),
        Binding("down", "to_results", "Results", id="skill-search.results", show=False),
    ]

    class SkillChosen(Message):
        """The user picked a search result."""

        def __init__(self, skill_id: str) -> None:
            super().__init__()
            self.skill_id = skill_id

    def __init__(self, *, id: str | None = "skill-search") -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._timer: Timer | None = None
        self._refresh_timer: Timer | None = None
        self._unsubscribe = lambda: None
        self._tags: list[str] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-row"):
            yield Input(placeholder="search by meaning: what should the skill do?", id="search-query")
            yield Select([], prompt="any tag", id="search-tag")
        yield Static("search index: starting…", id="search-status")
        yield ProgressBar(id="search-progress", show_eta=False)
        yield DataTable(id="search-results", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#search-results", DataTable)
        table.add_column("score", key="score")
        table.add_column("why", key="why")
        table.add_column("skill", key="skill")
        table.add_column("name", key="name")
        table.display = False
        self.query_one("#search-progress", ProgressBar).display = False
        self._unsubscribe = self.app.ws.events.subscribe(self._on_backend_event)
        self._refresh_state()

    def on_unmount(self) -> None:
        self._unsubscribe()

    # -- index state ----------------------------------------------------------------
    def _refresh_state(self) -> None:
        ws = self.app.ws

        def state() -> tuple[Any, dict[str, int]]:
            index = ws.search  # opened (in the background) on first use
            return index.status(), index.tags()

        run_backend(self, state, done=self._show_state, failed=self._show_failure, name="skill-index-state",
                    group="skill-search-state", exclusive=True, notify=False)

    def _show_state(self, result: tuple[Any, dict[str, int]]) -> None:
        st, tags = result
        status = self.query_one("#search-status", Static)
        status.set_class(st.state in ("unavailable", "error"), "-error")
        status.set_class(st.state not in ("unavailable", "error") and not st.semantic, "-fallback")
        bar = self.query_one("#search-progress", ProgressBar)
        bar.display = st.progress is not None
        if st.progress:
            bar.update(total=st.progress[1], progress=st.progress[0])
        status.update(describe_state(st))
        names = sorted(tags)
        if names != self._tags:
            self._tags = names
            select = self.query_one("#search-tag", Select)
            chosen = select.value
            select.set_options((f"{name} ({tags[name]})", name) for name in names)
            if isinstance(chosen, str) and chosen in tags:  # keep the user's filter
                select.value = chosen

    def _show_failure(self, exc: BaseException) -> None:
        status = self.query_one("#search-status", Static)
        status.set_class(True, "-error")
        status.update(f"search unavailable: {describe_error(exc)}")

    def _on_backend_event(self, event: Event) -> None:
        if not event.kind.startswith(("index.", "skill.")):
            return
        try:  # published on a worker or the watcher thread: hop to the UI thread
            self.app.call_from_thread(self._backend_event, event)
        except RuntimeError:
            self._backend_event(event)

    def _backend_event(self, event: Event) -> None:
        if not self.is_mounted:
            return
        if event.kind == "index.progress" and event.data:
            bar = self.query_one("#search-progress", ProgressBar)
            bar.display = True
            bar.update(total=event.data["total"], progress=event.data["done"])
            self.query_one("#search-status", Static).update(
                f"indexing skills… {event.data['done']:,} of {event.data['total']:,}")
            return
        if event.kind in ("index.lost", "index.rebuilt"):
            self.app.notify(event.detail, title="Skill index", severity="warning", timeout=6)
        # Coalesce bursts of changes into one state refresh and one re-run of the query.
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        self._refresh_timer = self.set_timer(0.2, self._after_change)

    def _after_change(self) -> None:
        self._refresh_state()
        if self.query_one("#search-query", Input).value.strip():
            self._search()

    # -- searching --------------------------------------------------------------------
    @on(Input.Changed, "#search-query")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_PAUSE, self._search)

    @on(Select.Changed, "#search-tag")
    def _tag_changed(self) -> None:
        self._search()

    def _search(self) -> None:
        query = self.query_one("#search-query", Input).value
        tag_value = self.query_one("#search-tag", Select).value
        tag = tag_value if isinstance(tag_value, str) else None
        table = self.query_one("#search-results", DataTable)
        if not query.strip():
            table.clear()
            table.display = False
            return
        ws = self.app.ws
        run_backend(self, lambda: (query, tag, ws.search.search(query, tag=tag, limit=MAX_RESULTS)),
                    done=self._show_results, failed=self._show_failure, name="search-skills",
                    group="skill-search", exclusive=True, notify=False)

    def _show_results(self, result: tuple[str, str | None, list[Any]]) -> None:
        query, tag, hits = result
        current_tag = self.query_one("#search-tag", Select).value
        if query != self.query_one("#search-query", Input).value or tag != (
                current_tag if isinstance(current_tag, str) else None):
            return  # the user typed on: a newer search is on its way
        table = self.query_one("#search-results", DataTable)
        table.clear()
        for hit in hits:
            why = Text(" + ".join(hit.why))
            for word in hit.why:
                start = why.plain.index(word)
                why.stylize(WHY_STYLE[word], start, start + len(word))
            table.add_row(f"{hit.score:.2f}", why, hit.id, hit.name, key=hit.id)
        if not hits:
            table.add_row("", "", "no match", "try other words" + (f" or another tag than {tag}" if tag else ""))
        table.display = True

    @on(Input.Submitted, "#search-query")
    def _submitted(self) -> None:
        table = self.query_one("#search-results", DataTable)
        if table.display and table.row_count:
            self._choose(table.coordinate_to_cell_key((0, 0)).row_key.value)

    @on(DataTable.RowSelected, "#search-results")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._choose(event.row_key.value)

    def _choose(self, skill_id: str | None) -> None:
        if not skill_id:
            return
        self.post_message(self.SkillChosen(skill_id))
        show = getattr(self.screen, "show_skill", None)
        if callable(show):
            show(skill_id)

    def action_clear(self) -> None:
        self.query_one("#search-query", Input).value = ""
        self.query_one("#search-tag", Select).clear()

    def action_to_results(self) -> None:
        table = self.query_one("#search-results", DataTable)
        if table.display and table.row_count:
            table.focus()

    def focus_query(self) -> None:
        """Put the cursor in the search box (for a screen's key binding)."""
        self.query_one("#search-query", Input).focus()


def describe_state(st: Any) -> str:
    """One line about the index for the panel (no paths, no clocks: snapshot-stable)."""
    if st.state in ("unavailable", "error"):
        return f"search unavailable: {st.message}"
    if st.progress:
        done, total = st.progress
        return f"indexing skills… {done:,} of {total:,}"
    if st.state == "starting":
        return "search index: starting…"
    count = f"{st.points:,} skills indexed"
    if not st.semantic:
        return f"LEXICAL FALLBACK (words only) · {count} · {st.message or 'no semantic model'}"
    return f"{count} · meaning + words · {st.model}"


SkillChosen = SkillSearch.SkillChosen
