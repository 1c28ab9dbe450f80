"""``${VAR}`` / ``${VAR:-default}`` interpolation inside string values.

Rules (shell-like, deliberately small):

* ``${VAR}`` is the variable's value; unset is an error naming the key path.
* ``${VAR:-default}`` uses ``default`` when VAR is unset *or empty*;
  ``${VAR-default}`` only when unset.
* several references per string are fine; ``$$`` is a literal ``$``;
  a ``$`` not followed by ``{`` or ``$`` is kept as is.
* defaults are literal text (no nesting) and cannot contain ``}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(rf"\$\$|\$\{{(?P<name>{_NAME})(?:(?P<op>:?-)(?P<default>[^}}]*))?\}}|\$\{{")


def interpolate_string(text: str, env: Mapping[str, str], *, key: str, file: str | None) -> str:
    """Expand every reference in ``text``; ``key`` and ``file`` locate errors."""
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$$":
            return "$"
        name = match.group("name")
        if name is None:
            raise ConfigError(
                "unterminated or malformed ${...} reference",
                file=file, key=key, value=text,
                allowed="${NAME}, ${NAME:-default}, ${NAME-default}; write $$ for a literal $",
            )
        op = match.group("op")
        value = env.get(name)
        if op == ":-" and not value:
            return match.group("default")
        if op == "-" and value is None:
            return match.group("default")
        if value is None:
            raise ConfigError(
                f"environment variable {name} is not set",
                file=file, key=key, value=text,
                hint=f"Export {name}, or give a default: ${{{name}:-value}}.",
            )
        return value

    return _TOKEN.sub(replace, text)


def interpolate(data: Any, env: Mapping[str, str], *, file: str | None, path: str = "") -> Any:
    """Return ``data`` with every string value interpolated (keys are left alone)."""
    if isinstance(data, str):
        return interpolate_string(data, env, key=path or "<root>", file=file)
    if isinstance(data, dict):
        return {
            k: interpolate(v, env, file=file, path=f"{path}.{k}" if path else str(k))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [
            interpolate(v, env, file=file, path=f"{path}[{i}]") for i, v in enumerate(data)
        ]
    return data
