"""JSON-lines archives (``archive/logs-*.jsonl.gz`` written by retention) as a source.

Each line is one run log; they go to ``run_logs`` of either engine through the same
converters, checkpoints and quarantine as a database source. The key is the line number.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..errors import NotFound
from .canon import column_texts_fn, row_hash, row_text_fn
from .sources import Batch
from .tables import Table
from .values import sqlite_timestamp

_FIELDS = ("run_id", "workflow_id", "workflow_version", "status", "started_at", "finished_at",
           "duration_ms", "error", "payload")


def _open(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="surrogateescape")
    return open(path, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115


def _ts(value: Any) -> Any:
    try:
        ts = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value  # left as is: the converter quarantines it with the exact reason
    return sqlite_timestamp(ts) if ts.tzinfo is not None else value


def line_row(number: int, line: str) -> tuple[Any, ...]:
    """One archive line in ``run_logs`` storage form (invalid JSON -> a row quarantined as such)."""
    try:
        doc = json.loads(line)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except ValueError:
        return (f"line-{number}", "", 1, "success", None, None, 0, None, "!" + line)
    payload = doc.get("payload")
    return (doc.get("run_id"), doc.get("workflow_id"), doc.get("workflow_version"), doc.get("status"),
            _ts(doc.get("started_at")), _ts(doc.get("finished_at")), doc.get("duration_ms"),
            doc.get("error"),
            None if payload is None else json.dumps(payload, separators=(",", ":"), ensure_ascii=False))


class JsonlSource:
    """Reads an archive; only the ``run_logs`` table has rows."""

    kind = "jsonl"

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise NotFound("archive", str(path), hint="List archives under the workspace's archive/ folder.")
        self.path = path
        self.identity = f"jsonl:{path}"

    def has_table(self, name: str) -> bool:
        return name == "run_logs"

    def _lines(self) -> Iterator[tuple[int, str]]:
        with _open(self.path) as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    yield number, line

    def count(self, table: Table) -> int:
        return sum(1 for _ in self._lines()) if table.name == "run_logs" else 0

    def batches(self, table: Table, after: Any, size: int) -> Iterator[Batch]:
        if table.name != "run_logs":
            return
        keys: list[Any] = []
        rows: list[tuple[Any, ...]] = []
        for number, line in self._lines():
            if after is not None and number <= after:
                continue
            keys.append(number)
            rows.append(line_row(number, line))
            if len(rows) >= size:
                yield keys, rows
                keys, rows = [], []
        if rows:
            yield keys, rows

    def close(self) -> None:
        pass


class JsonlSide:
    """The verification side of an archive (hash computed in Python)."""

    kind = "jsonl"

    def __init__(self, path: Path) -> None:
        self.source = JsonlSource(path)
        self._by_key: dict[tuple[Any, ...], tuple[Any, ...]] | None = None

    def has_table(self, table: Table) -> bool:
        return self.source.has_table(table.name)

    def table_hash(self, table: Table, exclude: list[Any] | None = None) -> tuple[int, int]:
        skip = set(exclude or [])
        text = row_text_fn(table)
        count = total = 0
        for keys, rows in self.source.batches(table, None, 5000):
            for key, row in zip(keys, rows, strict=True):
                if key not in skip:
                    count += 1
                    total += row_hash(text(row))
        return count, total

    def _index(self, table: Table) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        if self._by_key is None:
            self._by_key = {}
            for _keys, rows in self.source.batches(table, None, 5000):
                for row in rows:
                    self._by_key[(row[0],)] = row
        return self._by_key

    def sample_keys(self, table: Table, n: int, seed: int = 7) -> list[tuple[Any, ...]]:
        if not self.has_table(table):
            return []
        keys = [k for k in self._index(table) if not str(k[0]).startswith("line-")]
        return random.Random(seed).sample(keys, min(n, len(keys)))

    def fetch(self, table: Table, key: tuple[Any, ...]) -> list[str | None] | None:
        row = self._index(table).get(tuple(key))
        return None if row is None else column_texts_fn(table)(row)

    def close(self) -> None:
        self.source.close()
