"""Diffs between two definitions: unified text, side by side, and structural (by step id)."""

from __future__ import annotations

import difflib
from typing import Any

from .models import KeyChange, SideBySideRow, StepChange, StructuralDiff


def unified(a_text: str, b_text: str, a_label: str, b_label: str,
            context: int = 3) -> tuple[str, ...]:
    """Unified diff lines (no trailing newlines); empty when the texts are equal."""
    return tuple(difflib.unified_diff(a_text.splitlines(), b_text.splitlines(), a_label,
                                      b_label, n=context, lineterm=""))


def side_by_side(a_text: str, b_text: str) -> tuple[SideBySideRow, ...]:
    """Aligned rows (line numbers from 1) for a two-column view."""
    left, right = a_text.splitlines(), b_text.splitlines()
    rows: list[SideBySideRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [SideBySideRow("equal", i + 1, left[i], j + 1, right[j])
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            i, j = i1 + k, j1 + k
            has_l, has_r = i < i2, j < j2
            kind = "replace" if has_l and has_r else ("delete" if has_l else "insert")
            rows.append(SideBySideRow(kind, i + 1 if has_l else None, left[i] if has_l else None,
                                      j + 1 if has_r else None, right[j] if has_r else None))
    return tuple(rows)


def _mapping_changes(old: dict[str, Any], new: dict[str, Any], prefix: str = "",
                     depth: int = 2) -> list[KeyChange]:
    """Key-level changes; nested mappings are compared ``depth`` levels down."""
    out: list[KeyChange] = []
    for key in old.keys() | new.keys():
        path = f"{prefix}{key}"
        if key not in new:
            out.append(KeyChange(path, "removed", old=old[key]))
        elif key not in old:
            out.append(KeyChange(path, "added", new=new[key]))
        elif old[key] != new[key]:
            if depth > 1 and isinstance(old[key], dict) and isinstance(new[key], dict):
                out += _mapping_changes(old[key], new[key], f"{path}.", depth - 1)
            else:
                out.append(KeyChange(path, "changed", old=old[key], new=new[key]))
    return sorted(out, key=lambda c: c.path)


def structural(a: dict[str, Any], b: dict[str, Any]) -> StructuralDiff:
    """What changed from definition ``a`` to ``b``: top-level keys, then steps by id."""
    keys = _mapping_changes({k: v for k, v in a.items() if k != "steps"},
                            {k: v for k, v in b.items() if k != "steps"}, depth=1)
    old_steps = {s["id"]: (i, s) for i, s in enumerate(a.get("steps") or [])}
    new_steps = {s["id"]: (i, s) for i, s in enumerate(b.get("steps") or [])}
    steps: list[StepChange] = []
    for sid, (i, _step) in old_steps.items():
        if sid not in new_steps:
            steps.append(StepChange(sid, "removed", old_index=i))
    # Order changes are judged on the steps both sides share, so an insertion
    # does not make every later step look "moved".
    shared_old = [sid for sid in old_steps if sid in new_steps]
    shared_new = [sid for sid in new_steps if sid in old_steps]
    for sid, (j, step) in new_steps.items():
        if sid not in old_steps:
            steps.append(StepChange(sid, "added", new_index=j))
            continue
        i, before = old_steps[sid]
        changes = tuple(_mapping_changes(before, step))
        if changes:
            steps.append(StepChange(sid, "changed", changes, old_index=i, new_index=j))
        elif shared_old.index(sid) != shared_new.index(sid):
            steps.append(StepChange(sid, "moved", old_index=i, new_index=j))
    order = {"removed": 0, "changed": 1, "moved": 1, "added": 2}
    steps.sort(key=lambda s: (order[s.kind], s.new_index if s.new_index is not None
                              else s.old_index or 0))
    return StructuralDiff(tuple(keys), tuple(steps))


def describe(diff: StructuralDiff) -> list[str]:
    """Human lines for a structural diff (used by the CLI and the TUI)."""
    if diff.empty:
        return ["no structural changes"]
    lines = [f"{_sign(c.kind)} {c.path}: {_change_text(c)}" for c in diff.keys]
    for step in diff.steps:
        where = f"#{(step.new_index if step.new_index is not None else step.old_index) + 1}"
        if step.kind == "moved":
            lines.append(f"~ step {step.step_id} moved from #{step.old_index + 1} to "
                         f"#{step.new_index + 1}")
        elif step.kind != "changed":
            lines.append(f"{_sign(step.kind)} step {step.step_id} {step.kind} ({where})")
        else:
            lines.append(f"~ step {step.step_id} changed ({where})")
            lines += [f"    {_sign(c.kind)} {c.path}: {_change_text(c)}" for c in step.changes]
    return lines


def _sign(kind: str) -> str:
    return {"added": "+", "removed": "-"}.get(kind, "~")


def _short(value: Any, width: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _change_text(change: KeyChange) -> str:
    if change.kind == "added":
        return _short(change.new)
    if change.kind == "removed":
        return _short(change.old)
    return f"{_short(change.old, 40)} → {_short(change.new, 40)}"
