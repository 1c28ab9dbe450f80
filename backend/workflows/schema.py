"""The definition schema: what a workflow definition must look like, with line numbers.

A definition is a mapping with ``name`` (str), optional ``description`` (str) and
``steps``: a non-empty list of mappings, each with ``id`` (unique), ``skill`` (a skill
id), optional ``inputs`` (mapping) and optional ``next`` (another step's id or null).
Unknown keys are allowed anywhere and preserved as written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import yaml

from ..errors import ValidationError
from ..safe_yaml import load_yaml

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
STEP_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MAX_DEFINITION_BYTES = 256 * 1024
_SCALARS = (str, int, float, bool, type(None), dt.date, dt.datetime)


def check_workflow_id(workflow_id: object) -> str:
    """Return ``workflow_id`` if it is a safe id (also a safe folder name), else raise."""
    if not isinstance(workflow_id, str) or not ID_RE.match(workflow_id) or ".." in workflow_id:
        raise ValidationError(
            f"invalid workflow id {workflow_id!r}",
            hint="Use 1-128 characters: lowercase letters, digits, '-', '_' or '.', "
                 "starting with a letter or digit (e.g. customer-import).")
    return workflow_id


def check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError(f"invalid version {version!r}",
                              hint="Versions are whole numbers from 1 (v1, v2, ...).")
    return version


def content_hash(definition: dict[str, Any]) -> str:
    """sha256 over the canonical JSON form of a definition (key order does not matter)."""
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _line_of(text: str | None, path: tuple[str | int, ...]) -> int | None:
    """1-based line of the node at ``path`` in ``text`` (best effort; None if unknown)."""
    if not text:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


class _Checker:
    def __init__(self, text: str | None, where: str, base: tuple[str | int, ...]) -> None:
        self.text, self.where, self.base = text, where, base

    def fail(self, message: str, path: tuple[str | int, ...], hint: str | None = None) -> None:
        line = _line_of(self.text, self.base + path)
        at = f"line {line}: " if line else ""
        raise ValidationError(f"{at}{message}", where=self.where, line=line,
                              hint=hint or "Fix the definition; nothing was written.")

    def plain(self, value: Any, path: tuple[str | int, ...]) -> None:
        """Only JSON-like data: string keys, lists, scalars (so the hash is stable)."""
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    self.fail(f"{_dotted(path) or 'definition'}: key {key!r} must be a string",
                              path, hint="Quote the key.")
                self.plain(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.plain(item, path + (i,))
        elif not isinstance(value, _SCALARS):
            self.fail(f"{_dotted(path)}: {type(value).__name__} values are not allowed", path,
                      hint="Use plain strings, numbers, booleans, lists and mappings.")


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_definition(definition: Any, *, text: str | None = None, where: str = "definition",
                        base: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """Check ``definition`` against the schema; return it. Raise ValidationError with a line.

    ``text`` is the YAML it came from (for line numbers); ``base`` is the path of the
    definition inside that text (``("definition",)`` for a version file).
    """
    c = _Checker(text, where, base)
    if not isinstance(definition, dict):
        c.fail(f"a definition must be a mapping, got {type(definition).__name__}", (),
               hint="Start with `name:`, `description:` and `steps:`.")
    c.plain(definition, ())
    if not isinstance(definition.get("name"), str) or not definition["name"].strip():
        c.fail("`name` is required and must be a non-empty string", ("name",))
    if "description" in definition and not isinstance(definition["description"], str):
        c.fail("`description` must be a string", ("description",))
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps:
        c.fail("`steps` is required and must be a non-empty list of steps", ("steps",),
               hint="Add steps like `- id: fetch` / `skill: fetch-url` / `next: null`.")
    ids: dict[str, int] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            c.fail(f"steps[{i}] must be a mapping with id, skill, inputs, next", ("steps", i))
        sid = step.get("id")
        if not isinstance(sid, str) or not STEP_ID_RE.match(sid):
            c.fail(f"steps[{i}].id must be a step name (letters, digits, '_', '-', '.'), "
                   f"got {sid!r}", ("steps", i, "id"))
        if sid in ids:
            c.fail(f"step id {sid!r} is used twice (steps[{ids[sid]}] and steps[{i}])",
                   ("steps", i, "id"), hint="Give every step its own id.")
        ids[sid] = i
        skill = step.get("skill")
        if not isinstance(skill, str) or not ID_RE.match(skill):
            c.fail(f"steps[{i}].skill must be a skill id (e.g. fetch-url), got {skill!r}",
                   ("steps", i, "skill"))
        if "inputs" in step and step["inputs"] is not None and not isinstance(step["inputs"], dict):
            c.fail(f"steps[{i}].inputs must be a mapping of input name to value",
                   ("steps", i, "inputs"))
        nxt = step.get("next")
        if nxt is not None and not isinstance(nxt, str):
            c.fail(f"steps[{i}].next must be a step id or null, got {nxt!r}", ("steps", i, "next"))
    for i, step in enumerate(steps):
        nxt = step.get("next")
        if nxt is not None and nxt not in ids:
            c.fail(f"steps[{i}].next refers to {nxt!r}, which is not a step id here "
                   f"(steps: {', '.join(ids)})", ("steps", i, "next"))
    return definition


def parse_definition(source: dict[str, Any] | str | bytes, *, where: str = "definition",
                     max_bytes: int = MAX_DEFINITION_BYTES) -> dict[str, Any]:
    """A definition from a mapping or YAML text (bytes must be UTF-8), checked.

    YAML text may also be a whole version file (``definition:`` under metadata):
    its definition is taken and its metadata ignored.
    """
    if isinstance(source, dict):
        return validate_definition(source, where=where)
    data = load_yaml(source, where=where, max_bytes=max_bytes)
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    if data is None:
        raise ValidationError("the definition is empty", where=where,
                              hint="Write `name:`, `description:` and `steps:`.")
    if isinstance(data, dict) and "steps" not in data and isinstance(data.get("definition"), dict):
        return validate_definition(data["definition"], text=text, where=where, base=("definition",))
    return validate_definition(data, text=text, where=where)


def ordered(definition: dict[str, Any]) -> dict[str, Any]:
    """The same definition with name, description, steps first (for readable files)."""
    head = {k: definition[k] for k in ("name", "description", "steps") if k in definition}
    return head | {k: v for k, v in definition.items() if k not in head}
