"""A canonical text for every row that both engines produce identically, and its hash.

PostgreSQL computes it in SQL (:func:`pg_row_text`); for SQLite, Python computes it
from the stored values (:func:`row_text_fn`). The per-row hash is the first 64 bits of
the MD5 of that text as a signed integer; a table's hash is their exact sum, which does
not depend on row order.

JSON is rendered the way PostgreSQL prints ``jsonb``: keys ordered by byte length then
bytes, the last of duplicate keys kept, ``", "`` and ``": "`` separators, numbers as
``numeric`` prints them. Timestamps are UTC with microseconds and ``+00:00``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .tables import Table

SEP = "\x1f"
PG_TS_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def pg_column_text(name: str, kind: str) -> str:
    """SQL for one column's canonical text on PostgreSQL."""
    if kind == "timestamptz":
        return f"to_char({name} AT TIME ZONE 'UTC', '{PG_TS_FORMAT}')"
    if kind == "bytes":
        return f"encode({name}, 'hex')"
    if kind == "text":
        return name
    return f"{name}::text"


def pg_row_text(table: Table) -> str:
    parts = [f"coalesce('v' || {pg_column_text(c.name, c.type)}, 'n')" for c in table.columns]
    return " || chr(31) || ".join(parts)


def pg_hash_sql(table: Table, where: str = "") -> str:
    """count and order-independent hash of ``table`` on PostgreSQL."""
    # Identifiers come from the static table specs, never from input.
    text = pg_row_text(table)
    return (f"SELECT count(*), coalesce(sum(('x' || substr(md5({text}), 1, 16))"  # noqa: S608
            f"::bit(64)::bigint), 0) FROM {table.name} {where}")


# -- JSON as jsonb prints it -------------------------------------------------------------

# Numbers travel through json.dumps as marked strings (a NUL never survives in jsonb).
_NUM = "\x00N"
_MARKED_NUMBER = re.compile(r'"\\u0000N([^"]*)"')


_ORDER_CACHE: dict[tuple[str, ...], list[str] | None] = {}  # key tuple -> jsonb order


def _jsonb_order(keys: tuple[str, ...]) -> list[str] | None:
    """The keys in jsonb's order (byte length, then bytes), or None if already so."""
    order = sorted(keys)
    order.sort(key=lambda k: len(k.encode("utf-8", "surrogatepass")))
    return None if order == list(keys) else order


def _pg_object(obj: dict[str, Any]) -> dict[str, Any]:
    if len(obj) < 2:
        return obj
    # Payloads repeat a few shapes, so each shape's order is computed once.
    keys = tuple(obj)
    try:
        order = _ORDER_CACHE[keys]
    except KeyError:
        if len(_ORDER_CACHE) > 4096:
            _ORDER_CACHE.clear()
        order = _ORDER_CACHE[keys] = _jsonb_order(keys)
    return obj if order is None else {k: obj[k] for k in order}


def _pg_number(text: str) -> str | float:
    value = float(text)
    # Zero may be "-0.0" (PostgreSQL prints "0.0"); repr's exponent form ("1e-05",
    # "1e+16") is never how numeric prints.
    if value and repr(value) == text and "e" not in text:
        return value  # the float prints back as the same text: no marking needed
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]  # numeric has no negative zero
    return _NUM + text


# Duplicate keys: json keeps the last value, as jsonb does.
_decoder = json.JSONDecoder(object_hook=_pg_object, parse_float=_pg_number)
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), check_circular=False)


def _big_int(text: str) -> int | str:
    return _NUM + text if len(text) > 4000 else int(text)  # past Python's int-string limit


_exact_ints = json.JSONDecoder(object_hook=_pg_object, parse_float=_pg_number, parse_int=_big_int)


try:  # the C accelerator (setup.py); None from it means "let the reference decide"
    from ._canon import pg_json_text as _native_pg_json_text
except ImportError:  # pragma: no cover - built without a C compiler
    _native_pg_json_text = None


def pg_json_text(text: str) -> str:
    """``text::jsonb::text``, in C where built (see _canon.c), else :func:`pg_json_text_py`."""
    if _native_pg_json_text is not None:
        out = _native_pg_json_text(text)
        if out is not None:
            return out
    return pg_json_text_py(text)


def pg_json_text_py(text: str) -> str:
    """``text::jsonb::text`` computed in Python: the reference."""
    try:
        out = _encoder.encode(_decoder.decode(text))
    except ValueError:  # an integer past Python's int-string limit (or not JSON at all)
        out = _encoder.encode(_exact_ints.decode(text))
    if "\\u0000N" in out:
        out = _MARKED_NUMBER.sub(r"\1", out)
    return out


_plain_decoder = json.JSONDecoder(parse_float=_pg_number)
_plain_big_ints = json.JSONDecoder(parse_float=_pg_number, parse_int=_big_int)
_compact_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def compact_json(text: str) -> str:
    """jsonb text -> compact JSON (SQLite's storage form), numbers written exactly as given."""
    try:
        out = _compact_encoder.encode(_plain_decoder.decode(text))
    except ValueError:
        out = _compact_encoder.encode(_plain_big_ints.decode(text))
    if "\\u0000N" in out:
        out = _MARKED_NUMBER.sub(r"\1", out)
    return out


# -- SQLite stored values -> canonical text ------------------------------------------------


def _as_str(v: Any) -> str:
    return v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else str(v)


def _c_uuid(v: Any) -> str:
    s = _as_str(v)
    if len(s) == 36 and s.islower():
        return s
    return str(uuid.UUID(s))


def _c_ts(v: Any) -> str:
    s = _as_str(v)
    if len(s) == 32 and s[10] == "T" and s.endswith("+00:00"):
        return s
    return datetime.fromisoformat(s).astimezone(UTC).isoformat(timespec="microseconds")


def _c_float(v: Any) -> str:
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _c_bytes(v: Any) -> str:
    return (v if isinstance(v, bytes) else str(v).encode()).hex()


_CANON: dict[str, Callable[[Any], str]] = {
    "uuid": _c_uuid, "text": _as_str, "int": str, "bigint": str, "float": _c_float,
    "bytes": _c_bytes, "timestamptz": _c_ts, "jsonb": lambda v: pg_json_text(_as_str(v)),
}


def column_texts_fn(table: Table) -> Callable[[tuple[Any, ...]], list[str | None]]:
    """Stored SQLite row -> canonical text of each column (None for NULL)."""
    convs = [_CANON[c.type] for c in table.columns]

    def texts(row: tuple[Any, ...]) -> list[str | None]:
        return [None if v is None else f(v) for f, v in zip(convs, row, strict=False)]

    return texts


def _total(f: Callable[[Any], str]) -> Callable[[Any], str]:
    """Never fail: a value with no canonical form (a row bound for quarantine) hashes as
    its raw text, so whole-table hashes can still be taken and such rows subtracted."""

    def canon(v: Any) -> str:
        try:
            return f(v)
        except (ValueError, TypeError, ArithmeticError):
            return "!" + _as_str(v)

    return canon


def row_text_fn(table: Table) -> Callable[[tuple[Any, ...]], str]:
    convs = [_total(_CANON[c.type]) for c in table.columns]

    def row_text(row: tuple[Any, ...]) -> str:
        return SEP.join("n" if v is None else "v" + f(v) for f, v in zip(convs, row, strict=False))

    return row_text


def row_hash(text: str) -> int:
    return int.from_bytes(hashlib.md5(text.encode("utf-8", "surrogateescape")).digest()[:8],
                          "big", signed=True)
