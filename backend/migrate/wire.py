"""Binary COPY rows for PostgreSQL, built in C where the accelerator is built.

:func:`batch_encoder` returns None without the accelerator (``_pgcopy.c``); the copy then
hands converted values to psycopg row by row, as before. With it, a whole batch is
checked and encoded in one call; rows the C code leaves out (anything but the plainly
valid common forms) go through :func:`values.row_converter` exactly as they always did,
so a bad value is quarantined with the same reason either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .tables import Table, column_kinds

try:
    from . import _pgcopy
except ImportError:  # pragma: no cover - built without a C compiler
    _pgcopy = None  # type: ignore[assignment]

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class BatchEncoder:
    """Encodes one table's rows; see the module docstring."""

    kinds: bytes
    not_null: bytes
    timestamp_columns: tuple[int, ...]

    def encode_raw(self, rows: list[tuple[Any, ...]]) -> tuple[bytes, list[int]]:
        """(COPY rows of the rows taken, indexes of the rows left to Python)."""
        return _pgcopy.encode_rows(rows, self.kinds, self.not_null)

    def encode_converted(self, rows: list[list[Any]]) -> bytes:
        """COPY rows of values already converted by ``values.row_converter``."""
        if self.timestamp_columns:
            rows = [self._micros(r) for r in rows]
        return _pgcopy.encode_values(rows, self.kinds)

    def _micros(self, row: list[Any]) -> list[Any]:
        out = list(row)
        for i in self.timestamp_columns:
            if out[i] is not None:
                out[i] = (out[i] - _PG_EPOCH) // _MICROSECOND
        return out

    def encode_item(self, raw: tuple[Any, ...], values: list[Any] | None) -> bytes:
        """One row alone (to find which row of a refused batch the server refuses)."""
        if values is not None:
            return self.encode_converted([values])
        data, slow = self.encode_raw([raw])
        if slow:  # pragma: no cover - a row taken in its batch is taken alone too
            raise ValueError("row was not encodable on its own")
        return data


def batch_encoder(table: Table) -> BatchEncoder | None:
    """The C encoder for ``table``, or None when the accelerator is not built."""
    if _pgcopy is None:
        return None
    return BatchEncoder(
        kinds=column_kinds(table),
        not_null="".join("1" if c.not_null else "0" for c in table.columns).encode(),
        timestamp_columns=tuple(i for i, c in enumerate(table.columns) if c.type == "timestamptz"))


def stream(parts: list[bytes]) -> list[bytes]:
    """The pieces of a complete binary COPY stream from encoded rows, to send one after
    another (joining them would hold a second copy of the batch in memory)."""
    return [SIGNATURE, *parts, TRAILER]

