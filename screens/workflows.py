"""Workflows: a lineage tree of every workflow's versions, the selected version's YAML,
diffs between any two versions, "new version", the skills used and the run history."""

from __future__ import annotations

import logging

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Header,
    Input,
    OptionList,
    Static,
    TextArea,
    Tree,
)
from textual.widgets.option_list import Option

from backend.events import Event
from backend.workflows import WorkflowDiff, WorkflowVersion
from tui.workers import run_backend

from .workflow_actions import WorkflowActions
from .workflow_diff import DIFF_MODES, diff_title, render_diff
from .workflow_meta import load_entries, metadata_text
from .workflow_palette import WorkflowCommands
from .workflow_runs import fetch_runs, render_runs
from .workflow_tree import NodeRef, WorkflowEntry, find_node, populate, refresh_labels

log = logging.getLogger(__name__)


class WorkflowsScreen(WorkflowActions, Screen):
    """Browse lineage, read versions, diff any two, derive new versions."""

    COMMANDS = {WorkflowCommands}
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="workflows.filter"),
        Binding("n", "new_version", "New", id="workflows.new"),
        Binding("a", "mark('A')", "Mark A", id="workflows.mark-a"),
        Binding("b", "mark('B')", "Mark B", id="workflows.mark-b"),
        Binding("D", "diff", "Diff", id="workflows.diff"),
        Binding("t", "toggle_diff_mode", "Diff mode", id="workflows.diff-mode", show=False),
        Binding("g", "focus_skills", "Skills", id="workflows.skills"),
        Binding("escape", "close_diff", "Back", id="workflows.back", show=False),
        Binding("x,delete", "delete_version", "Delete", id="workflows.delete"),
        Binding("r", "refresh", "Refresh", id="workflows.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, WorkflowEntry] = {}
        self.marks: dict[str, tuple[str, int] | None] = {"A": None, "B": None}
        self.current: WorkflowVersion | None = None
        self.diff: WorkflowDiff | None = None
        self.diff_mode = DIFF_MODES[0]
        self._want: NodeRef | None = None
        self._load_generation = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="wf-body"):
            with Vertical(id="wf-left", classes="panel"):
                yield Input(placeholder="/ filter by id or name", id="wf-filter")
                tree: Tree[NodeRef] = Tree("workflows", id="wf-tree")
                tree.show_root = False
                tree.guide_depth = 3
                yield tree
                yield Static("loading…", id="wf-count", classes="muted")
            with Vertical(id="wf-right"):
                yield Static("Select a workflow or a version on the left.", id="wf-meta",
                             classes="panel")
                with ContentSwitcher(initial="wf-yaml", id="wf-views"):
                    yield TextArea("", language="yaml", read_only=True, id="wf-yaml",
                                   show_line_numbers=True)
                    with Vertical(id="wf-diff"):
                        yield Static("", id="wf-diff-title")
                        with VerticalScroll(id="wf-diff-scroll"):
                            yield Static("", id="wf-diff-body")
                with Horizontal(id="wf-bottom"):
                    with Vertical(id="wf-skills-panel", classes="panel"):
                        yield Static("Skills used (enter: open in Skills)", classes="panel-title")
                        yield OptionList(id="wf-skills")
                    with Vertical(id="wf-runs-panel", classes="panel"):
                        yield Static("Runs of this version", classes="panel-title")
                        yield Static("", id="wf-runs")
        yield Footer()

    def on_mount(self) -> None:
        self._unsubscribe = self.app.ws.events.subscribe(self._on_backend_event)
        self.query_one("#wf-tree", Tree).focus()
        self.action_refresh()

    def on_unmount(self) -> None:
        self._unsubscribe()

    # -- loading ------------------------------------------------------------------
    def action_refresh(self) -> None:
        store = self.app.ws.workflows
        self._load_generation += 1
        generation = self._load_generation

        def show(entries: list[WorkflowEntry]) -> None:
            if generation == self._load_generation:  # an older listing finishing late
                self._show_entries(entries)

        run_backend(self, lambda: load_entries(store), done=show,
                    name="list-workflows", group="wf-list", exclusive=True)

    def _on_backend_event(self, event: Event) -> None:
        if event.kind.startswith("workflow."):
            try:
                self.app.call_from_thread(self.action_refresh)
            except RuntimeError:
                self.action_refresh()  # already on the UI thread

    def _show_entries(self, entries: list[WorkflowEntry]) -> None:
        tree = self.query_one("#wf-tree", Tree)
        cursor = tree.cursor_node.data if tree.cursor_node is not None else None
        want = self._want or cursor
        expanded = {n.data.workflow_id for n in tree.root.children if n.is_expanded and n.data}
        if want is not None:
            expanded.add(want.workflow_id)
        self.entries = {e.summary.workflow_id: e for e in entries}
        populate(tree, entries, self.query_one("#wf-filter", Input).value, self.marks, expanded)
        versions = sum(len(e.summary.versions) for e in entries)
        self.query_one("#wf-count", Static).update(f"{len(entries)} workflows, {versions} versions")
        if not entries:
            self.query_one("#wf-meta", Static).update(
                "No workflows yet. Store one with `storeroom workflows store ID FILE.yaml -m ...`.")
        node = find_node(tree, want) if want is not None else None
        if node is not None:
            # Line numbers of new nodes exist only after the tree has laid them out.
            tree.call_after_refresh(tree.move_cursor, node)
        self._want = None

    @on(Tree.NodeHighlighted, "#wf-tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        ref = event.node.data
        if ref is None or ref.deleted:
            return
        store = self.app.ws.workflows
        if ref.version is None:
            call = lambda: store.get_latest(ref.workflow_id)  # noqa: E731
        else:
            call = lambda: store.get(ref.workflow_id, ref.version)  # noqa: E731
        run_backend(self, call, done=self._show_version, name="load-workflow",
                    group="wf-load", exclusive=True, notify=False,
                    failed=lambda exc: self._show_broken(ref, exc))

    def _show_version(self, v: WorkflowVersion) -> None:
        self.current = v
        self.query_one("#wf-meta", Static).update(metadata_text(v))
        area = self.query_one("#wf-yaml", TextArea)
        area.load_text(v.text)
        skills = self.query_one("#wf-skills", OptionList)
        skills.clear_options()
        missing = set(v.missing_skills)
        for skill in v.skills:
            label = Text(skill, style="yellow" if skill in missing else "")
            if skill in missing:
                label.append("  (missing)", style="dim")
            skills.add_option(Option(label, id=skill))
        self.query_one("#wf-runs", Static).update(Text("loading…", style="dim"))
        ws = self.app.ws
        run_backend(self, lambda: fetch_runs(ws, v.workflow_id, v.version),
                    done=lambda r: self.query_one("#wf-runs", Static).update(render_runs(r)),
                    name="run-history", group="wf-runs", exclusive=True)

    # -- filter -------------------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.query_one("#wf-filter", Input).focus()

    @on(Input.Changed, "#wf-filter")
    def _filter_changed(self) -> None:
        if self.entries:
            self._show_entries(list(self.entries.values()))

    @on(Input.Submitted, "#wf-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#wf-tree", Tree).focus()

    # -- marks and diff -------------------------------------------------------------
    def _selected_version(self) -> tuple[str, int] | None:
        node = self.query_one("#wf-tree", Tree).cursor_node
        ref = node.data if node is not None else None
        if ref is None or ref.deleted:
            return None
        if ref.version is None:
            return (ref.workflow_id, self.current.version) if (
                self.current and self.current.workflow_id == ref.workflow_id) else None
        return ref.workflow_id, ref.version

    def action_mark(self, name: str) -> None:
        chosen = self._selected_version()
        if chosen is None:
            self.notify("Select a version in the tree first.", severity="warning")
            return
        self.marks[name] = chosen
        refresh_labels(self.query_one("#wf-tree", Tree), self.entries, self.marks)
        self.notify(f"{name} = {chosen[0]} v{chosen[1]}; press D to diff A→B", timeout=3)

    def action_diff(self) -> None:
        a, b = self.marks["A"], self.marks["B"]
        chosen = self._selected_version()
        if a is None and b is None and chosen is not None:
            # Nothing marked: compare the selected version with its parent.
            current = self.current
            parent = current.parent if current and current.version == chosen[1] else None
            if parent is None:
                self.notify("Mark two versions with a and b, then press D.", severity="warning")
                return
            a, b = (chosen[0], parent), chosen
        elif a is None or b is None:
            a, b = a or chosen, b or chosen
        if a is None or b is None:
            self.notify("Mark two versions with a and b, then press D.", severity="warning")
            return
        if a[0] != b[0]:
            self.notify(f"A is {a[0]} and B is {b[0]}: diff compares versions of one workflow.",
                        severity="error")
            return
        store = self.app.ws.workflows
        run_backend(self, lambda: store.diff(a[0], a[1], b[1]), done=self._show_diff,
                    name="diff-workflow", group="wf-diff", exclusive=True)

    def _show_diff(self, diff: WorkflowDiff) -> None:
        self.diff = diff
        self.query_one("#wf-diff-title", Static).update(diff_title(diff, self.diff_mode))
        self.query_one("#wf-diff-body", Static).update(render_diff(diff, self.diff_mode))
        self.query_one("#wf-views", ContentSwitcher).current = "wf-diff"

    def action_toggle_diff_mode(self) -> None:
        self.diff_mode = DIFF_MODES[(DIFF_MODES.index(self.diff_mode) + 1) % len(DIFF_MODES)]
        if self.diff is not None:
            self._show_diff(self.diff)
        else:
            self.notify(f"Diffs will show {self.diff_mode}.", timeout=2)

    def action_close_diff(self) -> None:
        self.query_one("#wf-views", ContentSwitcher).current = "wf-yaml"

    # -- skills -----------------------------------------------------------------------
    def action_focus_skills(self) -> None:
        skills = self.query_one("#wf-skills", OptionList)
        if skills.highlighted is None and skills.option_count:
            skills.highlighted = 0
        skills.focus()

    @on(OptionList.OptionSelected, "#wf-skills")
    async def _skill_chosen(self, event: OptionList.OptionSelected) -> None:
        skill_id = event.option.id or ""
        app = self.app
        if self.current is not None and skill_id in self.current.missing_skills:
            self.notify(f"Skill {skill_id!r} does not exist in skills/ yet: create it in the "
                        "Skills area (2, then n), or change the step.", severity="warning")
            return
        await app.switch_mode("skills")
        show = getattr(app.screen, "show_skill", None)
        if not callable(show):
            app.notify(f"Look for skill {skill_id!r} (type / to filter).", timeout=4)
            return
        try:
            show(skill_id)
        except Exception:  # noqa: BLE001 - another area's screen: never crash the jump
            log.exception("Skills screen could not show %s", skill_id)
            app.notify(f"Look for skill {skill_id!r} (type / to filter).", timeout=4)


SCREEN = WorkflowsScreen
