"""Workflows screen actions that open other screens: new version, delete, broken files."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import OptionList, Static, TextArea, Tree

from backend.workflows import WorkflowVersion, definition_text, descendants
from tui.workers import describe_error, run_backend

from .workflow_confirm import ConfirmDeleteScreen
from .workflow_editor import WorkflowEditorScreen
from .workflow_tree import NodeRef


class WorkflowActions:
    """Mixed into WorkflowsScreen (which provides ``current``, ``entries``, ``_want``)."""

    current: WorkflowVersion | None
    entries: dict[str, Any]
    _want: NodeRef | None

    def _show_broken(self, ref: NodeRef, exc: BaseException) -> None:
        """A version that does not load: say why, and show the file as it is."""
        self.current = None
        version = ref.version
        if version is None and ref.workflow_id in self.entries:
            version = self.entries[ref.workflow_id].summary.latest.version
        self.query_one("#wf-meta", Static).update(
            Text.assemble((f"{ref.workflow_id} v{version or '?'}  cannot be read\n", "bold red"),
                          (describe_error(exc), "red")))
        self.query_one("#wf-skills", OptionList).clear_options()
        self.query_one("#wf-runs", Static).update("")
        area = self.query_one("#wf-yaml", TextArea)
        area.load_text("")
        if version is not None:
            store = self.app.ws.workflows
            run_backend(self, lambda: store.read_text(ref.workflow_id, version),
                        done=area.load_text, name="read-workflow-file", group="wf-load",
                        notify=False)

    # -- new version ----------------------------------------------------------------
    def action_new_version(self) -> None:
        v = self.current
        if v is None:
            self.notify("Select a version to derive the new one from.", severity="warning")
            return
        text = definition_text(v.definition)

        def stored(result: WorkflowVersion | None) -> None:
            if result is None:
                return
            self.notify(f"Stored {result.workflow_id} v{result.version} (from v{result.parent}).",
                        title="Saved")
            self._want = NodeRef(result.workflow_id, result.version)
            self.action_refresh()

        self.app.push_screen(WorkflowEditorScreen(v.workflow_id, v.version, text), stored)

    # -- delete -----------------------------------------------------------------------
    def action_delete_version(self) -> None:
        node = self.query_one("#wf-tree", Tree).cursor_node
        ref = node.data if node is not None else None
        if ref is None or ref.version is None or ref.deleted:
            self.notify("Select a version (not a workflow) to delete.", severity="warning")
            return
        entry = self.entries.get(ref.workflow_id)
        below = descendants(entry.lineage, ref.version) if entry else []

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            store = self.app.ws.workflows
            run_backend(self, lambda: store.delete(ref.workflow_id, ref.version, force=bool(below)),
                        done=lambda _: self.notify(f"Deleted {ref.workflow_id} v{ref.version}."),
                        name="delete-workflow-version", group="wf-delete")

        self.app.push_screen(ConfirmDeleteScreen(ref.workflow_id, ref.version, below), answered)
