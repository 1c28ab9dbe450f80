"""Loading the workflow list for the tree, and the metadata panel of one version."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from backend.workflows import WorkflowVersion, build_lineage

from .workflow_tree import WorkflowEntry


def load_entries(store: Any) -> list[WorkflowEntry]:
    """Every workflow with its lineage (runs in a worker)."""
    out = []
    for summary in store.list_all():
        stones = store.tombstones(summary.workflow_id) if summary.deleted else []
        out.append(WorkflowEntry(summary, build_lineage(list(summary.versions), stones)))
    return out


def metadata_text(v: WorkflowVersion) -> Text:
    out = Text.assemble((f"{v.workflow_id} v{v.version}", "bold"), "  ", (v.name, "italic"))
    if v.modified:
        out.append("   MODIFIED OUTSIDE STOREROOM ", style="bold reverse red")
    parent = f"v{v.parent}" if v.parent else "none"
    out.append(f"\nparent {parent}   {v.created_at}   by {v.author or '?'}   "
               f"{v.content_hash[:19]}…", style="dim")
    out.append(f"\n{v.message or '(no message)'}")
    if v.modified:
        out.append("\nThe definition no longer matches the hash written with it: the file was "
                   "edited by hand. Store it as a new version (n) to keep the change.",
                   style="red")
    for warning in v.warnings:
        out.append(f"\n⚠ {warning}", style="yellow")
    return out
