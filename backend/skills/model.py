"""The skill model: one JSON file per skill, validated, with canonical bytes and a content hash.

A :class:`Skill` is frozen: values returned by the store are shared with the memory
tier, so edits make a new value with :meth:`Skill.evolve` (``dataclasses.replace``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from ..errors import ValidationError

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
# Windows device names are refused on every platform so a workspace can move between them.
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul", "clock$", "conin$", "conout$"]
    + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
    + ["com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"]
)
KNOWN_FIELDS = ("id", "name", "description", "tags", "code", "version", "created_at", "updated_at")
_KNOWN = frozenset(KNOWN_FIELDS)
MAX_NAME = 200
MAX_TAG = 64
MAX_TAGS = 64


class InvalidSkill(ValidationError):
    """A skill file on disk that cannot be used: its reason, content hash and raw bytes.

    The screen shows ``raw`` for repair; overwriting it needs ``expected=err.hash``.
    """

    default_hint = "Fix the file (or overwrite it from the editor, which asks first); the other skills are unaffected."

    def __init__(self, ident: str, reason: str, *, hash: str | None = None,  # noqa: A002
                 raw: bytes | None = None, line: int | None = None) -> None:
        self.ident = ident
        self.reason = reason
        self.hash = hash
        self.raw = raw
        super().__init__(reason, where=f"skills/{ident}.json", line=line)


def validate_id(ident: object) -> str:
    """Return ``ident`` if it is a safe skill id, else raise :class:`ValidationError`.

    Allowed: ``[a-z0-9][a-z0-9._-]{0,127}``, not ``..`` anywhere, not a reserved device
    name (``con``, ``nul.json``, ``COM1``... with or without an extension).
    """
    hint = "Use 1-128 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit."
    if not isinstance(ident, str):
        raise ValidationError(f"skill id must be a string, not {type(ident).__name__}", where="id", hint=hint)
    shown = ident if len(ident) <= 40 else ident[:40] + "…"
    if "\0" in ident or "/" in ident or "\\" in ident:
        raise ValidationError(f"skill id {shown!r} contains a NUL or a slash", where="id", hint=hint)
    if ".." in ident:
        raise ValidationError(f"skill id {shown!r} contains '..'", where="id", hint=hint)
    if len(ident) > 128:
        raise ValidationError(f"skill id is {len(ident)} characters long (at most 128)", where="id", hint=hint)
    if not ID_PATTERN.fullmatch(ident):
        raise ValidationError(f"skill id {shown!r} has characters outside [a-z0-9._-]", where="id", hint=hint)
    if ident.split(".", 1)[0] in RESERVED_NAMES:
        raise ValidationError(f"skill id {ident!r} is a reserved device name", where="id",
                              hint="Pick another id (con, nul, aux, com1... cannot be file names on Windows).")
    return ident


_second: tuple[int, str] = (0, "")  # the last whole second formatted, shared by threads


def now_iso() -> str:
    """Current UTC time as ``2026-08-13T15:38:47.123456Z`` (sorts as text)."""
    global _second
    seconds, ns = divmod(time.time_ns(), 1_000_000_000)
    last, text = _second  # one read of the pair: never a torn one
    if seconds != last:  # every save pays this otherwise; most share their second
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = (seconds, text)
    return f"{text}.{ns // 1000:06d}Z"


def _check_time(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"must be an ISO 8601 timestamp string, not {type(value).__name__}", where=where)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not an ISO 8601 timestamp", where=where,
                              hint="Write it like 2026-08-13T15:38:47Z.") from None
    return value


@dataclass(frozen=True)
class Skill:
    """One skill. Constructing one validates it (raises :class:`ValidationError`).

    ``tags`` is stored as a tuple (any iterable of strings is accepted); ``extra``
    keeps fields this version does not know, so they survive a round trip.
    ``version`` is bumped by the store on every save; timestamps are set by the store.
    """

    id: str
    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    code: str = ""
    version: int = 0
    created_at: str | None = None
    updated_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=True)

    def __post_init__(self) -> None:
        validate_id(self.id)
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("name must be a non-empty string", where="name")
        if len(self.name) > MAX_NAME:
            raise ValidationError(f"name is {len(self.name)} characters (at most {MAX_NAME})", where="name")
        if not isinstance(self.description, str):
            raise ValidationError("description must be a string", where="description")
        if not isinstance(self.code, str):
            raise ValidationError("code must be a string", where="code")
        if isinstance(self.tags, str) or not isinstance(self.tags, (list, tuple)):
            raise ValidationError("tags must be a list of strings", where="tags")
        tags = tuple(self.tags)
        if len(tags) > MAX_TAGS:
            raise ValidationError(f"{len(tags)} tags (at most {MAX_TAGS})", where="tags")
        for i, tag in enumerate(tags):
            if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG:
                raise ValidationError(f"must be a non-empty string of at most {MAX_TAG} characters",
                                      where=f"tags[{i}]")
        object.__setattr__(self, "tags", tags)
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 0:
            raise ValidationError("version must be a whole number >= 0", where="version")
        _check_time(self.created_at, "created_at")
        _check_time(self.updated_at, "updated_at")
        if not isinstance(self.extra, dict):
            raise ValidationError("extra must be a dict", where="extra")
        clash = _KNOWN.intersection(self.extra)
        if clash:
            raise ValidationError(f"extra repeats known fields {sorted(clash)}", where="extra")

    # -- conversions --------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: object, *, known_id: str | None = None) -> Skill:
        """Build from a decoded JSON object; unknown keys go to ``extra``.
        ``known_id``: an id already validated by the caller (skips re-checking it)."""
        fast = _fast_from_dict(cls, data, known_id)
        if fast is not None:
            return fast
        if not isinstance(data, dict):
            raise ValidationError(f"a skill must be a JSON object, not {type(data).__name__}")
        if "id" not in data:
            raise ValidationError("missing required field", where="id")
        if "name" not in data:
            raise ValidationError("missing required field", where="name")
        extra = {k: v for k, v in data.items() if k not in KNOWN_FIELDS}
        tags = data.get("tags", ())
        if tags is None:
            tags = ()
        return cls(id=data["id"], name=data["name"], description=data.get("description", ""),
                   tags=tags, code=data.get("code", ""), version=data.get("version", 0),
                   created_at=data.get("created_at"), updated_at=data.get("updated_at"), extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to disk (known fields plus ``extra``)."""
        data: dict[str, Any] = dict(self.extra)
        data.update(id=self.id, name=self.name, description=self.description, tags=list(self.tags),
                    code=self.code, version=self.version)
        if self.created_at is not None:
            data["created_at"] = self.created_at
        if self.updated_at is not None:
            data["updated_at"] = self.updated_at
        return data

    def to_bytes(self) -> bytes:
        """Canonical file bytes: indent 2, sorted keys, UTF-8, trailing newline."""
        return canonical_bytes(self.to_dict())

    def to_text(self) -> str:
        """Canonical JSON text (what an editor should start from)."""
        return self.to_bytes().decode("utf-8")

    def stamped(self, version: int, created_at: str, updated_at: str) -> Skill:
        """A copy with the fields the store sets on save. Unlike :meth:`evolve` it does
        not re-check the other fields: they were checked when this value was built and
        are immutable, except ``extra``, which is checked again."""
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise ValidationError("version must be a whole number >= 0", where="version")
        _check_time(created_at, "created_at")
        _check_time(updated_at, "updated_at")
        if not isinstance(self.extra, dict) or _KNOWN.intersection(self.extra):
            return dataclasses.replace(self, version=version, created_at=created_at, updated_at=updated_at)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__, version=version, created_at=created_at, updated_at=updated_at)
        return new

    def evolve(self, **changes: Any) -> Skill:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


def _ok_time(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not str:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def plain_fields(data: object, known_id: str | None = None) -> tuple | None:
    """``(id, name, description, tags (a list), code, version, created_at, updated_at)``
    of a decoded skill object whose every field is plainly valid (the common case when
    reading files), else None: the validating path, which accepts a superset of what
    this accepts, then says what is wrong. ``known_id``: an id already validated."""
    if type(data) is not dict:
        return None
    get = data.get
    ident, name = get("id"), get("name")
    description, code = get("description", ""), get("code", "")
    tags, version = get("tags", ()), get("version", 0)
    created, updated = get("created_at"), get("updated_at")
    if ident != known_id and not (type(ident) is str and len(ident) <= 128 and ID_PATTERN.fullmatch(ident) and ".." not in ident
            and ident.split(".", 1)[0] not in RESERVED_NAMES):
        return None
    if not (type(name) is str and len(name) <= MAX_NAME and name.strip()):
        return None
    if type(description) is not str or type(code) is not str or type(version) is not int or version < 0:
        return None
    if type(tags) is not list or len(tags) > MAX_TAGS:
        return None
    for tag in tags:
        if type(tag) is not str or len(tag) > MAX_TAG or not tag.strip():
            return None
    if not (_ok_time(created) and _ok_time(updated)):
        return None
    return ident, name, description, tags, code, version, created, updated


def _fast_from_dict(cls: type[Skill], data: object, known_id: str | None = None) -> Skill | None:
    """Build a Skill without the dataclass machinery when :func:`plain_fields` vouches for it."""
    fields = plain_fields(data, known_id)
    if fields is None:
        return None
    ident, name, description, tags, code, version, created, updated = fields
    skill = object.__new__(cls)
    skill.__dict__.update(id=ident, name=name, description=description, tags=tuple(tags), code=code,
                          version=version, created_at=created, updated_at=updated,
                          extra={k: v for k, v in data.items() if k not in _KNOWN})  # type: ignore[union-attr]
    return skill


def canonical_bytes(obj: Any) -> bytes:
    """``json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False)`` + newline, UTF-8.

    Every save pays this. json's indenting encoder is pure Python; orjson writes plain
    JSON values (exact str, int, bool, None, list, tuple, str-keyed dict) byte for byte
    the same about eight times faster. Anything else goes to json itself: floats (json's
    ``1e+16`` and ``NaN`` are orjson's ``1e16`` and ``null``), types orjson knows and json refuses (datetime,
    UUID, Enum, dataclasses), subclasses, and what orjson refuses (ints beyond 64 bits,
    lone surrogates, nesting deeper than :data:`_PLAIN_DEPTH`).
    """
    if _plain(obj, 0):
        try:
            return orjson.dumps(obj, option=_CANONICAL)
        except orjson.JSONEncodeError:
            pass
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


_CANONICAL = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_SCALARS = frozenset({str, int, bool, type(None)})
_PLAIN_DEPTH = 64  # deeper (or a cycle) goes to json, which reports cycles as json does


def _plain(o: Any, depth: int) -> bool:
    """True if ``o`` holds only the exact types orjson writes as json does."""
    t = type(o)
    if t in _SCALARS:
        return True
    if depth >= _PLAIN_DEPTH:
        return False
    if t is dict:
        for k, v in o.items():
            if type(k) is not str or (type(v) not in _SCALARS and not _plain(v, depth + 1)):
                return False
        return True
    if t is list or t is tuple:
        for v in o:
            if type(v) not in _SCALARS and not _plain(v, depth + 1):
                return False
        return True
    return False


def content_hash(raw: bytes) -> str:
    """``sha256:<hex>`` of a file's bytes (the ``expected`` token for an exact-content check)."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _line_of_key(text: str, key: str | None) -> int | None:
    if not key:
        return None
    head = key.split("[", 1)[0].split(".", 1)[0]
    needle = json.dumps(head) + ":"
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line.replace('" :', '":'):
            return number
    return None


def parse_skill_text(text: str | bytes, *, where: str | None = None, known_id: str | None = None) -> Skill:
    """Parse editor text or file bytes into a :class:`Skill`.

    Raises :class:`ValidationError` with ``line`` set (JSON syntax errors, and schema
    errors whose key can be found in the text) so an editor can point at it.
    """
    try:
        # decoded here, strictly: json.loads(bytes) would also take UTF-16 and lone surrogates
        data = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not UTF-8 (bad byte at offset {exc.start})", where=where,
                              hint="Save the file as UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                              where=where, line=exc.lineno) from None
    except RecursionError:
        raise ValidationError("invalid JSON: nested too deeply", where=where) from None
    try:
        return Skill.from_dict(data, known_id=known_id)
    except ValidationError as exc:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        line = _line_of_key(text, exc.where)
        message = exc.message.split(": ", 1)[1] if exc.where and exc.message.startswith(exc.where + ": ") else exc.message
        loc = f"{where}: {exc.where}" if where and exc.where else (where or exc.where)
        raise ValidationError(message, where=loc, line=line, hint=exc.hint) from None
