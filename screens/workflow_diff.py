"""Rendering a workflow diff for the screen: unified, side by side, or structural."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from backend.workflows import WorkflowDiff, describe_structural

DIFF_MODES = ("unified", "side by side", "structural")
ADDED, REMOVED, CHANGED, HUNK = "green", "red", "yellow", "bold cyan"


def render_diff(diff: WorkflowDiff, mode: str) -> RenderableType:
    """The renderable for ``mode`` (one of DIFF_MODES)."""
    if mode == "side by side":
        return side_by_side(diff)
    if mode == "structural":
        return structural(diff)
    return unified(diff)


def diff_title(diff: WorkflowDiff, mode: str) -> Text:
    s = diff.structural
    counts = (f"steps +{sum(c.kind == 'added' for c in s.steps)} "
              f"-{sum(c.kind == 'removed' for c in s.steps)} "
              f"~{sum(c.kind in ('changed', 'moved') for c in s.steps)} · keys ~{len(s.keys)}")
    return Text.assemble((f"v{diff.a} → v{diff.b}", "bold"), f" · {mode} · ", (counts, "dim"),
                         (" · t: mode · esc: back", "dim"))


def unified(diff: WorkflowDiff) -> Text:
    if not diff.unified:
        return Text(f"v{diff.a} and v{diff.b} have the same definition.", style="dim")
    out = Text()
    for line in diff.unified:
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = HUNK
        elif line.startswith("+"):
            style = ADDED
        elif line.startswith("-"):
            style = REMOVED
        else:
            style = ""
        out.append(line + "\n", style=style)
    return out


def side_by_side(diff: WorkflowDiff) -> Table:
    table = Table(box=None, expand=True, show_header=True, padding=(0, 1), show_edge=False)
    table.add_column("", justify="right", style="dim", width=4, no_wrap=True)
    table.add_column(f"v{diff.a}", ratio=1, overflow="fold")
    table.add_column("", justify="right", style="dim", width=4, no_wrap=True)
    table.add_column(f"v{diff.b}", ratio=1, overflow="fold")
    left_style = {"delete": REMOVED, "replace": REMOVED}
    right_style = {"insert": ADDED, "replace": ADDED}
    for row in diff.side_by_side:
        table.add_row(
            str(row.left_no or ""), Text(row.left or "", style=left_style.get(row.kind, "")),
            str(row.right_no or ""), Text(row.right or "", style=right_style.get(row.kind, "")),
        )
    return table


def structural(diff: WorkflowDiff) -> Text:
    out = Text()
    for line in describe_structural(diff.structural):
        mark = line.lstrip()[:1]
        style = {"+": ADDED, "-": REMOVED, "~": CHANGED}.get(mark, "dim")
        out.append(line + "\n", style=style)
    return out
