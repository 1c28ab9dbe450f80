"""The index's health row: one line for the Dashboard and ``doctor``, plus facts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..health import Status

if TYPE_CHECKING:
    from .state import IndexStatus

LEXICAL_LABEL = "LEXICAL FALLBACK (words only, no semantic model)"


def ago(at: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(UTC)) - at).total_seconds()))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def describe(st: IndexStatus) -> tuple[Status, str, dict[str, object]]:
    """(status, detail line, facts) for a running index."""
    facts: dict[str, object] = {"state": st.state, "engine": st.engine, "model": st.model,
                                "semantic": st.semantic, "points": st.points, "pending": st.pending,
                                "invalid": st.invalid}
    if st.progress:
        facts["progress"] = {"done": st.progress[0], "total": st.progress[1]}
    if st.last_event is not None:
        facts["last_event"] = {"kind": st.last_event.kind, "subject": st.last_event.subject,
                               "at": st.last_event.at.isoformat()}
    if st.state in ("unavailable", "error"):
        return Status.DEGRADED, f"search unavailable: {st.message}", facts
    # Most telling first: the Dashboard's column cuts the line on narrow terminals.
    parts = [] if st.semantic else [f"{LEXICAL_LABEL}: {st.message}" if st.message else LEXICAL_LABEL]
    if st.progress:
        done, total = st.progress
        parts.append(f"building {done:,}/{total:,} ({done * 100 // max(total, 1)}%)")
    elif st.state == "starting":
        parts.append("starting")
    parts.append(f"{st.points:,} points")
    parts.append(f"{st.pending} pending")
    if st.invalid:
        parts.append(f"{st.invalid} invalid files")
    if st.last_event is not None:
        parts.append(f"last {st.last_event.kind} {ago(st.last_event.at)}")
    if st.semantic:
        parts.append(st.model)
    parts.append(st.engine)
    detail = " · ".join(parts)
    ok = st.semantic and st.state == "ready"
    return (Status.OK if ok else Status.DEGRADED), detail, facts
