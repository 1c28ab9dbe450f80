"""Turn run dicts / RunLogs into checked rows; every bad value gets a clear error.

Rules: run_id is a UUID; status is one of STATUSES; timestamps are timezone-aware
(naive ones are refused, never guessed); payload is a JSON object within the size
limit; no NUL bytes anywhere (PostgreSQL cannot store them in text or jsonb).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from ..errors import ValidationError
from .models import RunLog
from .schema import STATUSES

DEFAULT_MAX_PAYLOAD = 1024 * 1024
MAX_ERROR_CHARS = 64 * 1024
MAX_ID_CHARS = 200

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_STATUSES = frozenset(STATUSES)
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
# orjson writes the same compact JSON about ten times faster; anything it would treat
# differently from json (datetimes, dataclasses, subclasses, non-string keys, huge ints)
# makes it fail, and the strict encoder above decides, error message included.
_ORJSON_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _fast_dumps(payload: Mapping[str, Any]) -> str | None:
    """Compact JSON text from orjson, or None when the strict encoder must decide."""
    try:
        raw = orjson.dumps(payload, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError included
        return None
    if b"null" in raw:
        return None  # orjson writes NaN and Infinity as null; json refuses them
    return raw.decode()


class Row(NamedTuple):
    """A validated run, ready for either engine (UTC datetimes and their ISO text)."""

    run_id: str
    workflow_id: str
    workflow_version: int
    status: str
    started_at: datetime
    finished_at: datetime
    started_iso: str
    finished_iso: str
    duration_ms: int
    error: str | None
    payload_json: str


def iso(dt: datetime) -> str:
    """The fixed-width UTC text form stored in SQLite (sorts chronologically)."""
    if dt.tzinfo is not UTC:
        dt = dt.astimezone(UTC)
    return dt.isoformat(timespec="microseconds")


def check_uuid(value: Any, where: str = "run_id") -> str:
    text = value if isinstance(value, str) else str(value) if value is not None else ""
    text = text.strip().lower()
    if not _UUID.fullmatch(text):
        raise ValidationError(f"run_id {value!r} is not a UUID", where=where,
                              hint="Use a UUID like 0b6f7c9e-2f1d-4c1e-9a51-3f0e2d6b8a11.")
    return text


def to_utc(value: Any, name: str, where: str) -> datetime:
    """An aware datetime (or ISO-8601 text with an offset) in UTC; naive is an error."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # the common case, checked first because batches are large
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{name} {value!r} is not an ISO-8601 timestamp", where=where,
                                  hint="Write it like 2026-01-31T12:00:00+00:00.") from None
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime, got {type(value).__name__}",
                              where=where, hint="Pass a timezone-aware datetime.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{name} {value.isoformat()} has no timezone", where=where,
                              hint="Timestamps must be timezone-aware (e.g. +00:00); naive times are ambiguous.")
    return value.astimezone(UTC)


def _text(value: Any, name: str, where: str, limit: int, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise ValidationError(f"{name} is missing", where=where, hint=f"Give a {name}.")
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text, got {type(value).__name__}", where=where)
    if required and not value.strip():
        raise ValidationError(f"{name} is empty", where=where, hint=f"Give a {name}.")
    if "\x00" in value:
        raise ValidationError(f"{name} contains a NUL byte", where=where,
                              hint="Remove NUL (\\x00) characters; PostgreSQL cannot store them.")
    if len(value) > limit:
        raise ValidationError(f"{name} is {len(value)} characters (limit {limit})", where=where)
    return value


def encode_payload(payload: Any, where: str, max_bytes: int = DEFAULT_MAX_PAYLOAD) -> str:
    """Compact JSON text of a payload object; refuses non-JSON, NUL and oversize."""
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise ValidationError(f"payload must be a JSON object, got {type(payload).__name__}",
                              where=where, hint="Wrap the value in an object, e.g. {\"value\": ...}.")
    text = _fast_dumps(payload) if type(payload) is dict else None
    try:
        if text is None:
            text = _dumps(payload)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"payload is not JSON: {exc}", where=where,
                              hint="Use only objects, lists, strings, numbers, booleans and null "
                                   "(no NaN, sets, bytes or datetimes).") from None
    if len(text) > max_bytes or (len(text) * 4 > max_bytes and len(text.encode()) > max_bytes):
        size = len(text.encode())
        raise ValidationError(
            f"payload is {size / 1048576:.1f} MiB, over the {max_bytes / 1048576:.1f} MiB limit",
            where=where, hint="Store large outputs elsewhere (a file, object storage) and keep a reference.")
    if "\\u0000" in text and _JSON_NUL.search(text):
        raise ValidationError("payload contains a NUL byte (\\u0000)", where=where,
                              hint="Remove NUL characters; PostgreSQL jsonb cannot store them.")
    return text


def validate_run(run: Mapping[str, Any] | RunLog, where: str | None = None,
                 max_payload: int = DEFAULT_MAX_PAYLOAD) -> Row:
    """Check one run (a dict like generate_runs yields, or a RunLog) and build its Row."""
    get = run.get if isinstance(run, Mapping) else run.__dict__.get
    run_id = check_uuid(get("run_id"), where or "run")
    where = where or f"run {run_id}"
    workflow_id = _text(get("workflow_id"), "workflow_id", where, MAX_ID_CHARS, required=True)
    version = get("workflow_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError(f"workflow_version {version!r} must be an integer >= 1", where=where)
    status = get("status")
    if status not in _STATUSES:
        raise ValidationError(f"unknown status {status!r}", where=where,
                              hint=f"Use one of: {', '.join(STATUSES)}.")
    started = to_utc(get("started_at"), "started_at", where)
    finished = to_utc(get("finished_at"), "finished_at", where)
    if finished < started:
        raise ValidationError("finished_at is before started_at", where=where,
                              hint="Check the clock of the agent that wrote this run.")
    duration = get("duration_ms")
    if duration is None:
        duration = int((finished - started).total_seconds() * 1000)
    if isinstance(duration, float) and duration.is_integer():
        duration = int(duration)
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 0:
        raise ValidationError(f"duration_ms {duration!r} must be a non-negative integer",
                              where=where)
    error = _text(get("error"), "error", where, MAX_ERROR_CHARS, required=False)
    payload = encode_payload(get("payload"), where, max_payload)
    return Row(run_id, workflow_id, version, status, started, finished,
               started.isoformat(timespec="microseconds"),
               finished.isoformat(timespec="microseconds"), duration, error, payload)


def validate_runs(runs: Iterable[Mapping[str, Any] | RunLog],
                  max_payload: int = DEFAULT_MAX_PAYLOAD) -> list[Row]:
    """Validate a batch; the first bad run aborts it (nothing is written), named by index."""
    rows = []
    seen: set[str] = set()
    for index, run in enumerate(runs):
        try:
            row = validate_run(run, max_payload=max_payload)
        except ValidationError as exc:
            raise ValidationError(exc.message, where=f"runs[{index}]", hint=exc.hint) from None
        if row.run_id in seen:
            raise ValidationError(f"run_id {row.run_id} appears twice in the batch",
                                  where=f"runs[{index}]", hint="Each run must have its own run_id.")
        seen.add(row.run_id)
        rows.append(row)
    return rows
