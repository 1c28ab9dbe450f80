"""Checking and converting source values for the target engine.

Every value read from SQLite passes through a per-column converter before it is
written to PostgreSQL. A value PostgreSQL would refuse (or silently change) raises
:class:`BadValue` with a category and an exact reason; the copy quarantines the row
and the plan counts it. SQLite's flexible typing is why this is needed: an INTEGER
column may hold text, a TEXT column may hold NUL bytes or invalid UTF-8.

Source connections use ``text_factory=bytes`` so invalid UTF-8 reaches us as bytes
instead of failing the whole fetch. JSON columns are selected through
:func:`json_select` so SQLite's C ``json_valid`` does the expensive parsing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .tables import Table

CATEGORIES: dict[str, str] = {
    "nul_text": "NUL bytes in text",
    "invalid_utf8": "invalid UTF-8",
    "malformed_json": "malformed JSON",
    "nul_json": "NUL (\\u0000) in JSON",
    "non_integer": "non-integers in integer columns",
    "out_of_range": "integers out of range",
    "bad_timestamp": "unparsable timestamps",
    "bad_uuid": "malformed UUIDs",
    "null": "NULL in a NOT NULL column",
    "rejected": "rejected by the target",
}

_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
_NUL = b"\x00"
_INVALID_JSON_MARK = b"!"  # never the first byte of valid JSON
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # \u0000 after an even run of backslashes


class BadValue(ValueError):
    """A value that cannot go to the target: which column, what kind, why (exactly)."""

    def __init__(self, column: str, category: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.category = category
        self.reason = reason


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_select(column: str) -> str:
    """SQL reading a JSON column; invalid JSON comes back prefixed with ``!``."""
    return (f"CASE WHEN {column} IS NULL THEN NULL WHEN typeof({column}) = 'text' AND "
            f"json_valid({column}) THEN {column} ELSE '!' || {column} END")


def sqlite_select_list(table: Table) -> str:
    return ", ".join(json_select(c.name) if c.type == "jsonb" else c.name for c in table.columns)


def _text(v: Any, col: str) -> str:
    """The value as text (checked); see :func:`text_bytes` for the copy's fast path."""
    return text_bytes(v, col).decode()


def text_bytes(v: Any, col: str) -> bytes:
    """Checked UTF-8 bytes without NUL: exactly what binary COPY sends for ``text``."""
    if isinstance(v, bytes):
        if _NUL in v:
            raise BadValue(col, "nul_text", f"NUL byte at offset {v.index(_NUL)}")
        if not v.isascii():
            try:
                v.decode()
            except UnicodeDecodeError as exc:
                raise BadValue(col, "invalid_utf8", f"invalid UTF-8 at byte {exc.start}") from None
        return v
    text = v if isinstance(v, str) else str(v)  # a number in a TEXT column: its text
    if "\x00" in text:
        raise BadValue(col, "nul_text", f"NUL byte at offset {text.index(chr(0))}")
    return text.encode("utf-8", "surrogateescape")


def _deep_json_check(text: str, col: str) -> None:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise BadValue(col, "malformed_json", f"malformed JSON: {exc}") from None
    try:
        json.dumps(obj, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise BadValue(col, "malformed_json", "malformed JSON: lone UTF-16 surrogate escape") from None


def json_bytes(v: Any, col: str) -> bytes:
    """Validated UTF-8 JSON text (as selected by :func:`json_select`)."""
    if isinstance(v, str):
        v = v.encode("utf-8", "surrogateescape")
    if v[:1] == _INVALID_JSON_MARK:
        raw = v[1:]
        try:
            text = raw.decode()
        except UnicodeDecodeError as exc:
            raise BadValue(col, "invalid_utf8", f"invalid UTF-8 at byte {exc.start}") from None
        if "\x00" in text:
            raise BadValue(col, "nul_json", "NUL byte in JSON text")
        _deep_json_check(text, col)
        # json_valid said no but Python parses it: SQLite is stricter than PostgreSQL
        # nowhere we know of; refuse rather than guess.
        raise BadValue(col, "malformed_json", "malformed JSON (refused by SQLite json_valid)")
    if not v.isascii():
        try:
            v.decode()
        except UnicodeDecodeError as exc:
            raise BadValue(col, "invalid_utf8", f"invalid UTF-8 at byte {exc.start}") from None
    if b"\\u0000" in v and _JSON_NUL.search(v):  # an escaped backslash before u0000 is text
        raise BadValue(col, "nul_json", "\\u0000 escape in JSON (PostgreSQL jsonb refuses it)")
    if b"\\ud" in v or b"\\uD" in v:
        _deep_json_check(v.decode(), col)
    return v


def _int(kind: str) -> Callable[[Any, str], int]:
    lo, hi = _INT_RANGE[kind]

    def conv(v: Any, col: str) -> int:
        if type(v) is not int:
            raise BadValue(col, "non_integer", f"not an integer: {_short(v)}")
        if not lo <= v <= hi:
            raise BadValue(col, "out_of_range", f"{v} is out of range for {kind}")
        return v

    return conv


def _float(v: Any, col: str) -> float:
    if type(v) in (int, float):
        return float(v)
    raise BadValue(col, "non_integer", f"not a number: {_short(v)}")


def parse_timestamp(v: Any, col: str) -> datetime:
    text = _text(v, col) if not isinstance(v, str) else v
    try:
        ts = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        raise BadValue(col, "bad_timestamp", f"unparsable timestamp: {_short(v)}") from None
    if ts.tzinfo is None:
        raise BadValue(col, "bad_timestamp", f"timestamp without time zone: {_short(v)}")
    return ts


def uuid_bytes(v: Any, col: str) -> bytes:
    """The 16 bytes of a UUID (binary COPY's form), from its text."""
    raw = v if isinstance(v, bytes) else str(v).encode()
    if len(raw) == 36 and raw[8] == raw[13] == raw[18] == raw[23] == 45:  # the usual 8-4-4-4-12
        try:
            return bytes.fromhex(raw.replace(b"-", b"").decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            pass
    try:
        return uuid.UUID(raw.decode("utf-8", "replace")).bytes
    except ValueError:
        raise BadValue(col, "bad_uuid", f"not a UUID: {_short(v)}") from None


def _bytes(v: Any, col: str) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


_TO_PG: dict[str, Callable[[Any, str], Any]] = {
    "uuid": uuid_bytes, "text": text_bytes, "int": _int("int"), "bigint": _int("bigint"),
    "float": _float, "bytes": _bytes, "timestamptz": parse_timestamp, "jsonb": json_bytes,
}


def row_converter(table: Table) -> Callable[[tuple[Any, ...]], list[Any]]:
    """A function turning one SQLite row into PostgreSQL-ready values, or raising BadValue."""
    plan = [(_TO_PG[c.type], c.name, c.not_null) for c in table.columns]

    def convert(row: tuple[Any, ...]) -> list[Any]:
        out = []
        for (conv, name, not_null), value in zip(plan, row, strict=False):
            if value is None:
                if not_null:
                    raise BadValue(name, "null", "NULL in a NOT NULL column")
                out.append(None)
            else:
                out.append(conv(value, name))
        return out

    return convert


def sqlite_timestamp(ts: datetime) -> str:
    """The SQLite storage form: ISO-8601 in UTC, microseconds, ``+00:00`` (fixed width)."""
    return ts.astimezone(UTC).isoformat(timespec="microseconds")
