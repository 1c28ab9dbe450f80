"""One file of skills/ as a catalogue row: its fingerprint, summary or why it is invalid.

Plainly valid files are summarised straight from their JSON (no Skill object, no extra
stat); anything else goes the validating way, so both give the same row.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import orjson

from ..errors import ValidationError
from .files import READ_FLAGS, FileRead, Fingerprint, TooLarge, is_racy, read_file
from .model import (
    ID_PATTERN,
    RESERVED_NAMES,
    Skill,
    content_hash,
    parse_skill_text,
    plain_fields,
    validate_id,
)
from .results import InvalidFile, SkillSummary


@dataclass(slots=True)
class Row:
    fp: Fingerprint
    racy: bool
    summary: SkillSummary | None
    invalid: InvalidFile | None
    haystack: str = ""


def summarise(skill: Skill, hash_: str, size: int) -> SkillSummary:
    return SkillSummary(skill.id, skill.name, skill.description, skill.tags, skill.version,
                        skill.created_at, skill.updated_at, hash_, size)


def check_file(name: str, read: FileRead) -> Skill:
    """Parse and validate the bytes of ``skills/<name>``; raises ValidationError."""
    stem = name[:-5]
    skill = parse_skill_text(read.raw, known_id=stem)  # callers validated the file name
    if skill.id != stem:
        raise ValidationError(f"id {skill.id!r} in the file does not match its name {name!r}",
                              where="id", hint="Rename the file or fix its id.")
    return skill


def load_row(folder: str, name: str, max_bytes: int) -> tuple[Row, Skill | None, FileRead | None]:
    """Read one file into a catalogue row (never raises for bad content)."""
    path = os.path.join(folder, name)
    stem = name[:-5]
    try:
        validate_id(stem)
    except ValidationError as exc:
        st = os.stat(path)
        bad = InvalidFile(stem, name, f"file name is not a valid skill id ({exc.message})", None, st.st_size)
        return Row(Fingerprint.of(st), False, None, bad), None, None
    try:
        read = read_file(path, max_bytes)
    except TooLarge as exc:
        st = os.stat(path)
        return Row(Fingerprint.of(st), False, None, InvalidFile(stem, name, str(exc), exc.token, exc.size)), None, None
    racy = is_racy(read.fp.mtime_ns, read.checked_ns)
    try:
        skill = check_file(name, read)
    except ValidationError as exc:
        bad = InvalidFile(stem, name, exc.message, read.hash, len(read.raw))
        return Row(read.fp, racy, None, bad), None, read
    summary = summarise(skill, read.hash, len(read.raw))
    return Row(read.fp, racy, summary, None), skill, read


def read_row(folder: str, name: str, max_bytes: int, dir_fd: int | None = None) -> Row:
    """:func:`load_row`'s row, faster for the common file (this runs 10k times when a
    folder is first opened): plainly valid JSON becomes a summary straight from the
    decoded object, without building a Skill. Anything else (a bad name, a file over the
    limit or growing, invalid content) goes the validating way, which also says what is
    wrong. Raises OSError."""
    if not plain_name(name):
        return load_row(folder, name, max_bytes)[0]
    checked = time.time_ns()
    # (``dir_fd``: the folder held open, so each open looks up one name, not the path)
    fd = os.open(f"{folder}/{name}", READ_FLAGS) if dir_fd is None else os.open(name, READ_FLAGS, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        size = st.st_size
        raw = os.read(fd, size + 1) if size <= max_bytes else b""
    finally:
        os.close(fd)
    if len(raw) != size or not size:  # too large, empty, or changing while we read
        return load_row(folder, name, max_bytes)[0]
    return row_from_bytes(name, raw, Fingerprint.of(st), checked)


def plain_name(name: str) -> bool:
    """True if ``name`` is ``<valid id>.json`` (else :func:`load_row` explains why not)."""
    stem = name[:-5]
    return bool(len(stem) <= 128 and ID_PATTERN.fullmatch(stem) and ".." not in stem
                and stem.split(".", 1)[0] not in RESERVED_NAMES)


def row_from_bytes(name: str, raw: bytes, fp: Fingerprint, checked: int) -> Row:
    """The row of a plainly named file whose whole content ``raw`` was read at ``checked``."""
    stem = name[:-5]
    try:
        # orjson parses a subset of what json does (no NaN, no lone surrogates) and
        # turns integers past 64 bits into floats, which plain_fields refuses: whatever
        # it does not parse as json would goes the validating way, with json.
        fields = plain_fields(orjson.loads(raw), stem)
    except (orjson.JSONDecodeError, RecursionError):  # not UTF-8 or not JSON: the validating way explains
        fields = None
    if fields is None or fields[0] != stem:
        return _checked_row(name, FileRead(raw, fp, checked))
    ident, sname, description, tags, _code, version, created, updated = fields
    summary = object.__new__(SkillSummary)  # fields already checked: skip the frozen __init__
    summary.__dict__.update(id=ident, name=sname, description=description, tags=tuple(tags), version=version,
                            created_at=created, updated_at=updated,
                            hash=content_hash(raw), size=fp.size)
    return Row(fp, is_racy(fp.mtime_ns, checked), summary, None)



def _checked_row(name: str, read: FileRead) -> Row:
    racy = is_racy(read.fp.mtime_ns, read.checked_ns)
    try:
        skill = check_file(name, read)
    except ValidationError as exc:
        return Row(read.fp, racy, None, InvalidFile(name[:-5], name, exc.message, read.hash, len(read.raw)))
    return Row(read.fp, racy, summarise(skill, read.hash, len(read.raw)), None)
