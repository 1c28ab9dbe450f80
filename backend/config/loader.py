"""Read storeroom.yaml: safe YAML -> ${VAR} interpolation -> env overrides -> typed model."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..redact import mask_url
from ..safe_yaml import YamlError, dump_yaml, load_yaml
from .coerce import build, format_duration, format_size
from .interpolate import interpolate
from .settings import ENV_OVERRIDES, ByteSize, Duration, Settings

CONFIG_NAME = "storeroom.yaml"
MAX_CONFIG_BYTES = 256 * 1024


def read_raw(path: Path) -> dict[str, Any]:
    """The file's plain data (no interpolation); a missing file is an empty config."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        raw = load_yaml(data, where=str(path), max_bytes=MAX_CONFIG_BYTES, max_nodes=10_000)
    except YamlError as exc:
        raise ConfigError(exc.message, file=None) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("the top level must be a mapping of sections", file=str(path),
                          value=type(raw).__name__, allowed="redis:, postgres:, logs:, ...")
    return raw


def apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Copy ``data`` with STOREROOM_* overrides applied (each names one key)."""
    result = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for var, (section, key) in ENV_OVERRIDES.items():
        value = env.get(var)
        if value:
            target = result.setdefault(section, {})
            if not isinstance(target, dict):
                raise ConfigError("expected a mapping of keys", key=section, value=target)
            target[key] = value
    return result


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Load and validate the config at ``path`` (missing file: all defaults)."""
    env = os.environ if env is None else env
    raw = read_raw(path)
    expanded = interpolate(raw, env, file=str(path))
    return build(Settings, apply_env_overrides(expanded, env), file=str(path))


def settings_as_dict(settings: Any, *, masked: bool = True) -> dict[str, Any]:
    """Plain data for display; URLs with passwords masked unless ``masked`` is False."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            out[f.name] = settings_as_dict(value, masked=masked)
        elif isinstance(value, str) and "schemes" in f.metadata and masked:
            out[f.name] = mask_url(value)
        elif isinstance(value, float | int | bool | str) or value is None:
            out[f.name] = _plain(value)
        else:
            out[f.name] = str(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Duration):
        return format_duration(value)
    if isinstance(value, ByteSize):
        return format_size(value)
    if isinstance(value, float):
        value = float(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return int(value)
    return str(value)


def settings_yaml(settings: Settings) -> str:
    """The effective config as YAML, passwords masked."""
    return dump_yaml(settings_as_dict(settings))


def documented_keys(cls: type = Settings, prefix: str = "") -> list[tuple[str, str, Any]]:
    """(key path, doc, default) for every leaf key: the reference table in the README."""
    rows: list[tuple[str, str, Any]] = []
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        if f.default_factory is not dataclasses.MISSING:  # a section
            rows.extend(documented_keys(f.default_factory, key + "."))
        else:
            rows.append((key, f.metadata.get("doc", ""), _plain(f.default)))
    return rows
