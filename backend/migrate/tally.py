"""The source side of a verification, taken by the copy as it reads (SQLite -> PostgreSQL).

Each batch the copy reads is hashed in C (``_canon.hash_rows``, the same sum as
:meth:`SqliteSide.table_hash`); a row with an unusual value is hashed by
:class:`SqliteSide` itself, by rowid. A batch counts once its transaction has committed,
so a batch retried after a lost connection is never counted twice; a table counts only
if this run read it whole (a resumed table is hashed again by the verification). The
verification then needs no second pass over the source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .endpoints import Endpoint
from .sides import SqliteSide, _canon
from .tables import Table, column_kinds


def copy_hashes_source(source: Endpoint, target: Endpoint) -> bool:
    """Whether a copy from ``source`` to ``target`` takes the source hashes itself."""
    return _canon is not None and source.kind == "sqlite" and target.kind == "postgres"


class SourceTally:
    """Per-table (rows, hash) of the source rows committed to the target by this run."""

    def __init__(self, side: SqliteSide) -> None:
        self.side = side
        # per table: (last key, rows, hash) after each committed batch; None: not whole
        self._marks: dict[str, list[tuple[Any, int, int]] | None] = {}
        self._finished: set[str] = set()

    @classmethod
    def for_copy(cls, source: Endpoint, target: Endpoint) -> SourceTally | None:
        """A tally when the copy can take it cheaply (see :func:`copy_hashes_source`)."""
        return cls(SqliteSide(Path(source.path))) if copy_hashes_source(source, target) else None

    def begin(self, table: Table, cp: Any) -> None:
        """Start (or, after a lost connection, restart) ``table`` from checkpoint ``cp``.

        A restart rewinds to the checkpoint the target actually holds: a batch committed
        but unacknowledged, or acknowledged but lost in a server crash, is neither
        missed nor counted twice. A checkpoint the tally never saw ends the tally.
        """
        if table.name not in self._marks:
            fresh = cp.last_key is None and not cp.rows_copied and not cp.rows_quarantined
            self._marks[table.name] = [(None, 0, 0)] if fresh else None
            return
        marks = self._marks[table.name]
        if marks is None:
            return
        for i, (key, _count, _total) in enumerate(marks):
            if key == cp.last_key:
                del marks[i + 1:]
                return
        self._marks[table.name] = None

    def hash_batch(self, table: Table, keys: list[Any], rows: list[tuple[Any, ...]]) -> tuple[int, int]:
        """(rows, hash) of one batch as read (``keys`` are rowids)."""
        count, total, slow = _canon.hash_rows(rows, column_kinds(table))
        if slow:
            more = self.side.table_hash(table, only=[keys[i] for i in slow])
            count, total = count + more[0], total + more[1]
        return count, total

    def committed(self, table: Table, last_key: Any, hashed: tuple[int, int] | None) -> None:
        marks = self._marks.get(table.name)
        if marks is not None and hashed is not None:
            _key, count, total = marks[-1]
            marks.append((last_key, count + hashed[0], total + hashed[1]))

    def finished(self, table: Table) -> None:
        self._finished.add(table.name)

    def complete(self) -> dict[str, tuple[int, int]]:
        """The tables read whole and finished: name -> (rows, hash)."""
        return {name: (marks[-1][1], marks[-1][2]) for name, marks in self._marks.items()
                if marks is not None and name in self._finished}

    def close(self) -> None:
        self.side.close()
