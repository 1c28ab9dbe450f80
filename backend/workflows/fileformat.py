"""The on-disk format of a version file, ``workflows/<id>/v<N>.yaml``.

A version file is plain YAML a person can read::

    # storeroom workflow version: written once, never edited. ...
    id: "customer-import"
    version: 3
    parent: 2
    created_at: "2026-01-05T10:00:00+00:00"
    author: "eva"
    message: "Key on customer_id"
    content_hash: "sha256:..."
    definition:
      name: Customer import
      ...

Header values are written as JSON scalars (which YAML reads the same way), so listings
can read the header line by line without a YAML parse; anything unusual falls back to
the full, safe parse. Deleted versions leave ``v<N>.deleted`` (a tombstone) behind.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from ..errors import ValidationError
from ..safe_yaml import dump_yaml, load_yaml
from .models import Tombstone, VersionInfo
from .schema import content_hash, ordered, validate_definition

HEADER_KEYS = ("id", "version", "parent", "created_at", "author", "message", "content_hash")
MAX_FILE_BYTES = 512 * 1024
_HEADER_LINE = re.compile(r"^([a-z_]+): (.*)$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.,()/+-]*$")
BANNER = ("# storeroom workflow version: written once, never edited by storeroom.\n"
          "# To change it, store a new version (TUI: n, or `storeroom workflows store`).\n")


def dump_definition(data: Any) -> str:
    """Block YAML, key order kept, lines up to 100 wide (fewer wrapped templates)."""
    # Dumping (unlike loading) has no safety concerns, so libyaml's dumper may be used.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def render_version(meta: dict[str, Any], definition: dict[str, Any]) -> str:
    """The text of a version file for ``meta`` (the HEADER_KEYS) and ``definition``."""
    lines = [BANNER.rstrip("\n")]
    for key in HEADER_KEYS:
        lines.append(f"{key}: {json.dumps(meta[key], ensure_ascii=False)}")
    return "\n".join(lines) + "\n" + dump_definition({"definition": ordered(definition)})


def parse_version(data: bytes, *, where: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(metadata, definition, text) of a version file; raises ValidationError if unusable."""
    doc = load_yaml(data, where=where, max_bytes=MAX_FILE_BYTES)
    text = data.decode("utf-8")
    if not isinstance(doc, dict) or not isinstance(doc.get("definition"), dict):
        raise ValidationError("not a workflow version file (no `definition:` mapping)",
                              where=where, hint="Restore the file from version control.")
    meta = {k: doc.get(k) for k in HEADER_KEYS}
    _check_meta(meta, where)
    definition = validate_definition(doc["definition"], text=text, where=where,
                                     base=("definition",))
    return meta, definition, text


def _check_meta(meta: dict[str, Any], where: str) -> None:
    bad = []
    if not isinstance(meta["id"], str):
        bad.append("id")
    if not isinstance(meta["version"], int) or isinstance(meta["version"], bool):
        bad.append("version")
    if meta["parent"] is not None and (not isinstance(meta["parent"], int)
                                       or isinstance(meta["parent"], bool)):
        bad.append("parent")
    for key in ("created_at", "message", "content_hash"):
        if not isinstance(meta[key], str):
            bad.append(key)
    if meta["author"] is not None and not isinstance(meta["author"], str):
        bad.append("author")
    if bad:
        raise ValidationError(f"metadata {', '.join(bad)} missing or of the wrong type",
                              where=where, hint="Restore the file from version control.")


def fast_info(data: bytes, workflow_id: str, version: int) -> VersionInfo | None:
    """Metadata from the header lines alone, or None when the file needs a full parse."""
    meta: dict[str, Any] = {}
    name: str | None = None
    lines = data.split(b"\n", 40)
    for i, raw in enumerate(lines[:-1]):
        line = raw.decode("utf-8", "replace")
        if not line or line.startswith("#"):
            continue
        if line == "definition:":
            name = _name_line(lines[i + 1:i + 3])
            break
        m = _HEADER_LINE.match(line)
        if m is None or m.group(1) not in HEADER_KEYS:
            return None
        try:
            meta[m.group(1)] = json.loads(m.group(2))
        except ValueError:
            return None
    if name is None or set(meta) != set(HEADER_KEYS):
        return None
    try:
        _check_meta(meta, "")
    except ValidationError:
        return None
    return _info(meta, workflow_id, version, name)


def _name_line(lines: list[bytes]) -> str | None:
    if len(lines) < 2 or not lines[0].startswith(b"  name: "):
        return None
    follow = lines[1]
    if not (follow.startswith(b"  ") and follow[2:3] not in (b" ", b"")):
        return None  # the name continues on the next line: let YAML read it
    value = lines[0][8:].decode("utf-8", "replace")
    if value.startswith('"'):
        try:
            out = json.loads(value)
        except ValueError:
            return None
        return out if isinstance(out, str) else None
    if value.startswith("'") and value.endswith("'") and len(value) >= 2:
        return value[1:-1].replace("''", "'")
    return value if _PLAIN_NAME.match(value) and " #" not in value else None


def full_info(data: bytes, workflow_id: str, version: int, where: str) -> VersionInfo:
    """Metadata through the full parse; a broken file gives a VersionInfo with ``error``."""
    try:
        meta, definition, _ = parse_version(data, where=where)
    except ValidationError as exc:
        return VersionInfo(workflow_id, version, None, "", None, "", "", None, error=str(exc))
    return _info(meta, workflow_id, version, str(definition.get("name")))


def _info(meta: dict[str, Any], workflow_id: str, version: int, name: str | None) -> VersionInfo:
    error = None
    if meta["id"] != workflow_id or meta["version"] != version:
        error = (f"header says {meta['id']}@v{meta['version']} but the file is "
                 f"{workflow_id}/v{version}.yaml (renamed or edited by hand)")
    return VersionInfo(workflow_id, version, meta["parent"], meta["created_at"], meta["author"],
                       meta["message"], meta["content_hash"], name, error=error)


def check_rendered(text: str, definition: dict[str, Any], where: str) -> None:
    """Read back what we are about to write: it must give the same definition."""
    _, back, _ = parse_version(text.encode("utf-8"), where=where)
    if content_hash(back) != content_hash(definition):
        raise ValidationError("the definition does not survive a YAML round trip", where=where,
                              hint="Quote unusual scalars (dates, 'yes'/'no') and retry.")


def render_tombstone(stone: Tombstone) -> str:
    body = {"deleted": True, "id": stone.workflow_id, "version": stone.version,
            "parent": stone.parent, "deleted_at": stone.deleted_at,
            "deleted_by": stone.deleted_by, "content_hash": stone.content_hash,
            "message": stone.message}
    return ("# A deleted workflow version. Kept so the version number is never reused\n"
            "# and the lineage of its descendants stays whole.\n" + dump_yaml(body))


def parse_tombstone(data: bytes, workflow_id: str, version: int, where: str) -> Tombstone:
    doc = load_yaml(data, where=where, max_bytes=64 * 1024)
    doc = doc if isinstance(doc, dict) else {}
    parent = doc.get("parent")
    return Tombstone(workflow_id, version, parent if isinstance(parent, int) else None,
                     str(doc.get("deleted_at", "")), str(doc.get("deleted_by", "")),
                     str(doc.get("content_hash", "")), str(doc.get("message", "")))
