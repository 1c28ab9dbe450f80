"""Turn plain YAML data into the typed settings dataclasses, with precise errors."""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from ..errors import ConfigError
from .settings import ByteSize, Duration, Url

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2,
               "gb": 1000**3, "gib": 1024**3, None: 1}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class _Bad(Exception):
    """Internal: a value failed; carries what is allowed."""

    def __init__(self, message: str, allowed: str) -> None:
        super().__init__(message)
        self.allowed = allowed


def parse_duration(value: Any) -> Duration:
    """``250ms`` / ``30s`` / ``5m`` / ``12h`` / ``7d`` / ``2w`` / a number of seconds."""
    allowed = "a number of seconds or a duration like 250ms, 30s, 5m, 12h, 7d"
    if isinstance(value, bool):
        raise _Bad("not a duration", allowed)
    if isinstance(value, int | float):
        if value < 0:
            raise _Bad("durations cannot be negative", allowed)
        return Duration(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return Duration(float(match.group(1)) * _DURATION_UNITS[match.group(2)])
    raise _Bad("not a duration", allowed)


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: 604800 -> ``7d``, 0.1 -> ``100ms``."""
    for unit in ("d", "h", "m", "s"):
        factor = _DURATION_UNITS[unit]
        if seconds >= factor and (seconds / factor).is_integer():
            return f"{int(seconds / factor)}{unit}"
    millis = seconds * 1000
    return f"{int(millis)}ms" if millis.is_integer() else f"{seconds}s"


def format_size(size: int) -> str:
    """1048576 -> ``1MiB``; sizes that are not whole KiB/MiB/GiB stay in bytes."""
    for unit in ("GiB", "MiB", "KiB"):
        factor = _SIZE_UNITS[unit.lower()]
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(int(size))


def parse_size(value: Any) -> ByteSize:
    """``1048576`` / ``512KiB`` / ``1MiB`` / ``2GB``."""
    allowed = "a number of bytes or a size like 512KiB, 1MiB, 2GB"
    if isinstance(value, bool):
        raise _Bad("not a size", allowed)
    if isinstance(value, int) and value >= 0:
        return ByteSize(value)
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            unit = match.group(2).lower() if match.group(2) else None
            return ByteSize(int(float(match.group(1)) * _SIZE_UNITS[unit]))
    raise _Bad("not a size", allowed)


def parse_url(value: Any, schemes: tuple[str, ...]) -> Url:
    allowed = "a URL with scheme " + " or ".join(f"{s}://" for s in schemes)
    if not isinstance(value, str) or not value.strip():
        raise _Bad("not a URL", allowed)
    parts = urlsplit(value.strip())
    if parts.scheme not in schemes:
        raise _Bad(f"unsupported scheme {parts.scheme or '(none)'!r}", allowed)
    if parts.scheme not in ("unix", "memory", "path") and not parts.hostname:
        raise _Bad("URL has no host", allowed)
    try:
        _ = parts.port
    except ValueError:
        raise _Bad("URL has an invalid port", allowed) from None
    return Url(value.strip())


def _coerce(value: Any, tp: Any, meta: dict[str, Any]) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, options[0], meta)
    if origin is Literal:
        choices = get_args(tp)
        if value in choices:
            return value
        raise _Bad("not one of the choices", ", ".join(map(str, choices)))
    if tp is Duration:
        return parse_duration(value)
    if tp is ByteSize:
        return parse_size(value)
    if tp is Url:
        return parse_url(value, meta.get("schemes", ("http", "https")))
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Bad("not a boolean", "true or false")
    if tp is int:
        if isinstance(value, bool):
            raise _Bad("not an integer", "an integer")
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            value = int(value)
        if not isinstance(value, int):
            raise _Bad("not an integer", "an integer")
        if "min" in meta and value < meta["min"]:
            raise _Bad(f"must be at least {meta['min']}", f"an integer >= {meta['min']}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad("not a number", "a number")
        return float(value)
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _Bad("not a string", "a string")
        return str(value)
    raise _Bad(f"unsupported type {tp!r}", "?")  # pragma: no cover - programming error


def build(cls: type, data: Any, *, file: str | None, path: str = "") -> Any:
    """Build dataclass ``cls`` from mapping ``data``; unknown keys are errors."""
    where = path or "<root>"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of keys", file=file, key=where, value=data,
                          allowed="key: value pairs")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = get_type_hints(cls)
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = str(unknown[0])
        close = difflib.get_close_matches(key, list(fields), n=1)
        suggestion = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown key{suggestion}",
            file=file, key=f"{path}.{key}" if path else key,
            allowed=", ".join(fields),
        )
    values: dict[str, Any] = {}
    for name, value in data.items():
        f = fields[name]
        tp = hints[name]
        key = f"{path}.{name}" if path else name
        if dataclasses.is_dataclass(tp):
            values[name] = build(tp, value, file=file, path=key)
            continue
        try:
            values[name] = _coerce(value, tp, dict(f.metadata))
        except _Bad as bad:
            raise ConfigError(str(bad), file=file, key=key, value=value, allowed=bad.allowed) from None
    return cls(**values)
