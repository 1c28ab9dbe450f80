"""Widgets of the Migrate screen: per-table progress bars, and text for plans and reports."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, ProgressBar, Static

from backend.humanize import human_estimate
from backend.migrate.progress import Progress
from backend.migrate.tables import TABLES
from backend.redact import mask_url


class MigrationProgressed(Message):
    """A progress snapshot from the worker; a newer one replaces an unhandled older one."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MigrationProgressed)


def masked(target: str) -> str:
    """The target as typed, password masked (``postgresql://u:***@host/db``)."""
    target = target.strip()
    return mask_url(target) or "" if "://" in target else target


def rate_line(p: Progress) -> str:
    eta = f"ETA {p.eta_s:,.0f} s" if p.eta_s is not None else "ETA —"
    return f"{p.phase} {p.table} · {p.done:,}/{p.total:,} · {p.rows_per_s:,.0f} rows/s · {eta}"


class TableProgress(Horizontal):
    """One table: name, bar, counts."""

    def __init__(self, table: str) -> None:
        super().__init__(classes="mig-table-row", id=f"mig-row-{table}")
        self.table = table

    def compose(self) -> ComposeResult:
        yield Label(self.table, classes="mig-table-name")
        yield ProgressBar(total=1, show_eta=False, show_percentage=False,
                          id=f"mig-bar-{self.table}")
        yield Static("", classes="mig-table-count", id=f"mig-count-{self.table}")

    def show(self, done: int, total: int, quarantined: int, finished: bool) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done if total else 1)
        note = f" · {quarantined} quar." if quarantined else ""
        mark = " ✓" if finished else ""
        share = done / total if total else 1.0
        self.query_one(f"#mig-count-{self.table}", Static).update(
            f"{share:4.0%} {done:,}/{total:,}{note}{mark}")


class ProgressPanel(Vertical):
    """A progress bar per table and a line with rows/s and ETA."""

    def compose(self) -> ComposeResult:
        yield Static("idle: plan first, then run (r)", id="mig-rate")
        for table in TABLES:
            yield TableProgress(table.name)

    def note(self, text: str) -> None:
        self.query_one("#mig-rate", Static).update(text)

    def reset(self, totals: dict[str, int]) -> None:
        """Empty bars sized to a plan's row counts."""
        for row in self.query(TableProgress):
            row.show(0, totals.get(row.table, 0), 0, False)

    def show(self, p: Progress) -> None:
        if p.phase == "verify":  # the bars keep the copy's counts; only the line moves
            self.note(f"verifying {p.table} ({p.done + 1}/{p.total} tables)")
            return
        if p.phase == "scan":
            self.note(f"scanning {p.table} · {p.done:,}/{p.total:,} rows")
            return
        self.query_one("#mig-rate", Static).update(rate_line(p))
        for t in p.tables:
            rows = self.query(f"#mig-row-{t.table}")
            if rows:
                rows.first(TableProgress).show(t.done, t.total, t.quarantined, t.finished)


def plan_notes(plan: Any) -> Text:
    out = Text()
    state = plan.target_state.detail if plan.target_state else "unreachable"
    out.append("target: ", style="bold")
    out.append(f"{state}\n", style="green" if plan.target_state and plan.target_state.kind == "empty"
               else "yellow")
    out.append(f"{plan.total_rows:,} rows; {human_estimate(plan.estimate_s)} to copy and verify; "
               f"{len(plan.schema)} schema statements\n")
    if not plan.scanned:
        out.append("values not scanned (cancelled, or the source enforces every type)\n",
                   style="dim")
    elif not plan.problems:
        out.append("scan: every value fits the target\n", style="green")
    for p in plan.problems:
        out.append(f"{p.count} × {p.label}\n", style="bold yellow")
        for example in p.examples:
            out.append(f"   {example}\n", style="dim")
    for w in plan.warnings:
        if "quarantined" not in w:
            out.append(f"warning: {w}\n", style="yellow")
    return out


def verify_cells(report: Any) -> list[tuple[str, Text]]:
    return [(t.table, Text(t.verdict, style="green" if t.ok else "bold red")) for t in report.tables]


def history_cells(record: Any) -> tuple[str, ...]:
    verified = {True: "verified", False: "VERIFY FAILED", None: "—"}[record.verified]
    switch = ""
    if record.switched_at:
        switch = "undone" if record.undone_at else "switched"
    return (f"#{record.id}", record.started_at.replace("T", " ")[5:16], record.status,
            f"{record.rows:,}", str(record.quarantined), verified, switch, record.target)
