"""Import run logs from JSON lines (the seed design's files) into the logs database.

Each line is one run object. Bad lines are reported with their number and reason and
skipped; every good line is imported (in chunks, each its own transaction). Runs that
are already stored are skipped, so importing the same file twice is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFound, ValidationError
from .validate import Row, validate_run

if TYPE_CHECKING:
    from .stores import LogStore

CHUNK = 5000
MAX_LINE = 16 * 1024 * 1024  # a line longer than this cannot be a valid run (payload limit)


@dataclass
class BadLine:
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did: runs added, runs already there, and every refused line."""

    imported: int = 0
    already_stored: int = 0
    bad: list[BadLine] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"imported": self.imported, "already_stored": self.already_stored,
                "bad": [{"line": b.line, "reason": b.reason} for b in self.bad]}


def import_jsonl(store: LogStore, path: Path,
                 progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import ``path`` into ``store``; returns the report (never stops at a bad line)."""
    if not path.is_file():
        raise NotFound("file", str(path), hint="Give the path of a .jsonl file of runs.")
    report = ImportReport()
    pending: list[Row] = []
    seen: set[str] = set()

    def flush() -> None:
        added = store.engine.write(pending, skip_existing=True)
        report.imported += added
        report.already_stored += len(pending) - added
        pending.clear()
        if progress is not None:
            progress(report.imported)

    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            reason = _check(raw, number, store.max_payload, pending, seen)
            if reason:
                report.bad.append(BadLine(number, reason))
            if len(pending) >= CHUNK:
                flush()
    if pending:
        flush()
    return report


def _check(raw: bytes, number: int, max_payload: int, pending: list[Row],
           seen: set[str]) -> str | None:
    """Validate one line into ``pending``; returns the reason it is bad, or None."""
    if not raw.strip():
        return None
    if len(raw) > MAX_LINE:
        return f"line is {len(raw) / 1048576:.1f} MiB, too long for one run"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (byte {exc.start})"
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    try:
        row = validate_run(obj, where=f"line {number}", max_payload=max_payload)
    except ValidationError as exc:
        return exc.message.removeprefix(f"line {number}: ")
    if row.run_id in seen:
        return f"run_id {row.run_id} already appeared earlier in the file"
    seen.add(row.run_id)
    pending.append(row)
    return None
