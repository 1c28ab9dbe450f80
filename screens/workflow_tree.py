"""The workflow tree: workflows, and under each its versions nested by lineage."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from backend.workflows import LineageNode, WorkflowSummary


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for: a workflow (version None) or one version."""

    workflow_id: str
    version: int | None = None
    deleted: bool = False


@dataclass(frozen=True)
class WorkflowEntry:
    """One workflow as the tree shows it (built in a worker)."""

    summary: WorkflowSummary
    lineage: list[LineageNode]


def workflow_label(entry: WorkflowEntry) -> Text:
    s = entry.summary
    label = Text.assemble((s.workflow_id, "bold"), f"  ·{len(s.versions)}")
    if any(i.error for i in s.versions):
        label.append("  !", style="bold red")
    return label


def version_label(node: LineageNode, marks: dict[str, tuple[str, int] | None]) -> Text:
    if node.deleted:
        return Text(f"v{node.version} (deleted)", style="dim strike")
    info = node.info
    label = Text(f"v{node.version}", style="bold")
    for name, mark in marks.items():
        if mark is not None and info is not None and mark == (info.workflow_id, node.version):
            label.append(f" [{name}]", style="bold reverse")
    if info is not None and info.error:
        label.append("  unreadable", style="red")
    elif info is not None:
        label.append(f"  {info.message or '(no message)'}", style="")
    if node.orphan:
        label.append(f"  (parent v{node.parent} missing)", style="yellow")
    return label


def fill_versions(tree_node: TreeNode[NodeRef], roots: list[LineageNode], workflow_id: str,
                  marks: dict[str, tuple[str, int] | None]) -> None:
    """Add ``roots`` (and their children, nested) under a workflow's tree node."""
    for node in roots:
        ref = NodeRef(workflow_id, node.version, node.deleted)
        label = version_label(node, marks)
        if node.children:
            child = tree_node.add(label, data=ref, expand=True)
            fill_versions(child, node.children, workflow_id, marks)
        else:
            tree_node.add_leaf(label, data=ref)


def populate(tree: Tree[NodeRef], entries: list[WorkflowEntry], text_filter: str,
             marks: dict[str, tuple[str, int] | None], expanded: set[str]) -> None:
    """Rebuild the tree; workflows whose id or name contains ``text_filter`` are shown."""
    tree.clear()
    needle = text_filter.strip().lower()
    for entry in entries:
        s = entry.summary
        if needle and needle not in s.workflow_id and needle not in (s.name or "").lower():
            continue
        node = tree.root.add(workflow_label(entry), data=NodeRef(s.workflow_id),
                             expand=s.workflow_id in expanded)
        fill_versions(node, entry.lineage, s.workflow_id, marks)


def find_node(tree: Tree[NodeRef], ref: NodeRef) -> TreeNode[NodeRef] | None:
    """The tree node for ``ref`` (deleted flag ignored), or None."""
    stack = list(tree.root.children)
    while stack:
        node = stack.pop()
        data = node.data
        if data is not None and (data.workflow_id, data.version) == (ref.workflow_id, ref.version):
            return node
        stack.extend(node.children)
    return None


def refresh_labels(tree: Tree[NodeRef], entries: dict[str, WorkflowEntry],
                   marks: dict[str, tuple[str, int] | None]) -> None:
    """Update version labels in place (after marking A or B)."""
    stack = list(tree.root.children)
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        ref = node.data
        if ref is None or ref.version is None or ref.workflow_id not in entries:
            continue
        for root in entries[ref.workflow_id].lineage:
            for lin in root.walk():
                if lin.version == ref.version:
                    node.set_label(version_label(lin, marks))
