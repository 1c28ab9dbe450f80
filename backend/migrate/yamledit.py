"""Change a few keys of storeroom.yaml in place, keeping the user's comments and layout.

Block-style sections are edited as text; the result is parsed back and compared with
what was meant (the changed keys have their new values, every other key is unchanged).
If the text edit cannot prove that, the file is loaded, changed and dumped instead
(comments are lost then, keys never are).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..safe_yaml import dump_yaml, load_yaml

Changes = dict[tuple[str, str], str | None]  # (section, key) -> value (None: remove)

_TOP = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(#.*)?$")
_ANY_TOP = re.compile(r"^[^\s#]")


def _scalar(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z][\w.-]*", value) else json.dumps(value)


def _edit_text(text: str, changes: Changes) -> str:
    lines = text.splitlines()
    for (section, key), value in changes.items():
        start = next((i for i, line in enumerate(lines)
                      if (m := _TOP.match(line)) and m.group(1) == section), None)
        if start is None:
            if value is not None:
                if lines and lines[-1].strip():
                    lines.append("")
                lines += [f"{section}:", f"  {key}: {_scalar(value)}"]
            continue
        end = next((i for i in range(start + 1, len(lines)) if _ANY_TOP.match(lines[i])),
                   len(lines))
        indent = next((re.match(r"^(\s+)", lines[i]).group(1) for i in range(start + 1, end)
                       if lines[i].strip() and not lines[i].lstrip().startswith("#")), "  ")
        pattern = re.compile(rf"^{re.escape(indent)}{re.escape(key)}\s*:(\s*)([^#]*?)(\s+#.*)?$")
        found = next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
        if found is None:
            if value is not None:
                lines.insert(start + 1, f"{indent}{key}: {_scalar(value)}")
        elif value is None:
            del lines[found]
            if not any(lines[i].strip() and not lines[i].lstrip().startswith("#")
                       for i in range(start + 1, end - 1)):
                # The section is empty now: drop its header (and a blank line before it).
                del lines[start]
                if start > 0 and not lines[start - 1].strip():
                    del lines[start - 1]
        else:
            comment = pattern.match(lines[found]).group(3) or ""
            lines[found] = f"{indent}{key}: {_scalar(value)}{comment}"
    return "\n".join(lines) + "\n"


def _expected(data: dict[str, Any], changes: Changes) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for (section, key), value in changes.items():
        if value is None and section not in out:
            continue
        block = out.setdefault(section, {})
        if not isinstance(block, dict):
            raise ConfigError(f"storeroom.yaml: {section} is not a mapping",
                              hint=f"Make {section}: a block of keys, then retry.")
        if value is None:
            block.pop(key, None)
        else:
            block[key] = value
    return out


def _normal(data: dict[str, Any]) -> dict[str, Any]:
    """Empty sections (``logs:`` with nothing under it) equal absent ones."""
    return {k: v for k, v in data.items() if v not in (None, {})}


def edit_config(path: Path, changes: Changes) -> str:
    """Apply ``changes`` to the YAML file at ``path`` atomically; returns the new text."""
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    data = load_yaml(original, where=str(path)) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a mapping", hint="Fix storeroom.yaml first.")
    wanted = _expected(data, changes)
    text = _edit_text(original, changes)
    try:
        ok = _normal(load_yaml(text, where=str(path)) or {}) == _normal(wanted)
    except Exception:  # noqa: BLE001 - a failed text edit falls back to load/dump
        ok = False
    if not ok:
        text = dump_yaml(_normal(wanted))
    atomic_write(path, text)
    return text


def atomic_write(path: Path, text: str) -> None:
    """Temp file, fsync, rename over, fsync the folder; the old mode is kept."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
