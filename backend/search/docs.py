"""A skill file as the index sees it: the text to embed and the payload to store.

Parsing and validation are the skills library's (``backend.skills.parse_skill_text``);
this module only reads bounded bytes, fingerprints them and picks the searchable text.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..skills.model import content_hash, parse_skill_text, validate_id

SUFFIX = ".json"
# Editors and the skills store write these next to the real file; they are never skills.
_IGNORED = re.compile(r"(^\.|~$|\.sw[a-p]x?$|\.tmp$|\.tmp-|^4913$|\.bak$|\.orig$|\.part$)")


def skill_id_of(name: str) -> str | None:
    """The skill id a file name stands for (``<id>.json``), or None for anything else."""
    if not name.endswith(SUFFIX) or _IGNORED.search(name):
        return None
    ident = name[: -len(SUFFIX)]
    try:
        return validate_id(ident)
    except ValidationError:
        return None


@dataclass(frozen=True)
class SkillDoc:
    """The indexed view of one valid skill file."""

    id: str
    name: str
    description: str
    tags: tuple[str, ...]
    hash: str
    mtime_ns: int
    size: int
    ino: int
    checked_ns: int

    def dense_text(self) -> str:
        """What the semantic model reads: the name, what it does, its tags."""
        tags = f" Tags: {', '.join(self.tags)}." if self.tags else ""
        return f"{self.name}. {self.description}{tags}"

    def sparse_text(self) -> str:
        """What BM25 reads: also the id, split into words."""
        return f"{self.id.replace('-', ' ').replace('_', ' ').replace('.', ' ')} {self.name} {self.description} {' '.join(self.tags)}"

    def payload(self) -> dict[str, Any]:
        return {"skill_id": self.id, "name": self.name, "tags": list(self.tags),
                "description": self.description[:300], "hash": self.hash, "mtime_ns": self.mtime_ns,
                "size": self.size, "ino": self.ino, "checked_ns": self.checked_ns}


class InvalidFile(Exception):
    """The file exists but is not a usable skill (reason in ``str(exc)``)."""

    def __init__(self, ident: str, reason: str, hash: str | None = None) -> None:  # noqa: A002
        self.ident = ident
        self.hash = hash
        super().__init__(reason)


def fingerprint_matches(payload: dict[str, Any], st: os.stat_result) -> bool:
    """True if the stat shows the file the payload was indexed from (not a racy copy)."""
    if (payload.get("mtime_ns"), payload.get("size"), payload.get("ino")) != (st.st_mtime_ns, st.st_size, st.st_ino):
        return False
    # A same-size rewrite within one clock tick keeps mtime: trust only copies read later.
    return int(payload.get("checked_ns", 0)) - st.st_mtime_ns >= 100_000_000


def read_doc(path: Path, ident: str, max_bytes: int) -> SkillDoc:
    """Read and validate ``path``. Raises FileNotFoundError or :class:`InvalidFile`."""
    checked = time.time_ns()
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_size > max_bytes:
            raise InvalidFile(ident, f"file is {st.st_size} bytes, over the {max_bytes}-byte limit")
        raw = fh.read(max_bytes + 1)
    digest = content_hash(raw)
    if len(raw) > max_bytes:
        raise InvalidFile(ident, f"file is over the {max_bytes}-byte limit", digest)
    try:
        skill = parse_skill_text(raw, where=f"skills/{ident}.json")
    except ValidationError as exc:
        raise InvalidFile(ident, str(exc), digest) from None
    if skill.id != ident:
        raise InvalidFile(ident, f"id {skill.id!r} does not match the file name {ident}.json", digest)
    size = st.st_size if len(raw) == st.st_size else -1  # grew while read: never matches later
    return SkillDoc(skill.id, skill.name, skill.description, tuple(skill.tags), digest,
                    st.st_mtime_ns, size, st.st_ino, checked)
