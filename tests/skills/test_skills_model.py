"""The model's fast paths give exactly what the plain ones give: canonical bytes (orjson
where it writes the same) equal json.dumps's, stamped copies equal dataclasses.replace's."""

from __future__ import annotations

import dataclasses
import enum
import json
import random
import uuid
from datetime import UTC, datetime

import pytest
from skills_fixtures import sample

from backend.errors import ValidationError
from backend.skills.model import _plain, canonical_bytes, now_iso


def _reference(obj: object) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


class _Str(str):
    pass


class _Colour(enum.Enum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


# Values json and orjson both take but may write differently (or only orjson takes):
# each must come out as json writes it, or fail as json fails.
_ODD = [_Str("sub"), _Level.HIGH, _Colour.RED, uuid.UUID(int=7), datetime(2026, 1, 2, tzinfo=UTC),
        1e16, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64, "\ud800"]


def _nested(depth: int) -> object:
    obj: object = ["bottom"]
    for i in range(depth):
        obj = {"k": obj} if i % 2 else [obj]
    return obj


def _random_value(rng: random.Random, depth: int) -> object:
    kinds = ["str", "str", "int", "bool", "none"] + (["list", "tuple", "dict", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds if rng.random() < 0.97 else ["float", "odd"])
    if kind == "str":
        alphabet = 'ab "\\\n\t\x00\x1fé€😀\u2028/<>'
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    if kind == "int":
        return rng.choice([0, -1, 7, 2**70, -(2**65)])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "float":
        return rng.choice([1.5, -0.0, 1e300, float("inf"), float("nan")])
    if kind == "odd":
        return rng.choice(_ODD)
    if kind in ("list", "tuple"):
        items = [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
        return items if kind == "list" else tuple(items)
    return {_random_key(rng): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _random_key(rng: random.Random) -> object:
    if rng.random() < 0.05:
        return rng.choice([1, 2.5, True, None])  # json's own key conversions
    return "".join(rng.choice("abcAB_é😀\"") for _ in range(rng.randint(0, 4)))


def test_canonical_bytes_match_json_dumps() -> None:
    rng = random.Random(20261122)
    samples = [_random_value(rng, 0) for _ in range(3000)]
    samples += [{"v": odd} for odd in _ODD] + [_nested(d) for d in (60, 63, 64, 65, 200, 300)]
    fast = sum(_plain(obj, 0) for obj in samples)
    assert 1000 < fast < len(samples)  # both orjson's path and json's are compared
    for obj in samples:
        try:
            expected = _reference(obj)
        except (TypeError, UnicodeEncodeError) as exc:  # mixed key types do not sort
            with pytest.raises(type(exc)):
                canonical_bytes(obj)
            continue
        assert canonical_bytes(obj) == expected, obj


def test_canonical_bytes_refuse_what_json_refuses() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        canonical_bytes({"a": loop})
    with pytest.raises(TypeError):
        canonical_bytes({"a": object()})
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes({"a": "\udc80"})  # a lone surrogate is not UTF-8


def test_stamped_equals_replace_and_still_checks() -> None:
    skill = sample("s", extra={"n": 1, "nested": {"k": [1, "x"]}})
    now = now_iso()
    assert skill.stamped(3, "2026-01-02T03:04:05Z", now) == dataclasses.replace(
        skill, version=3, created_at="2026-01-02T03:04:05Z", updated_at=now)
    assert now.endswith("Z") and len(now) == len("2026-08-13T15:38:47.123456Z")
    with pytest.raises(ValidationError):
        skill.stamped(-1, now, now)
    with pytest.raises(ValidationError):
        skill.stamped(1, "yesterday", now)
    skill.extra["version"] = 9  # extra is the one mutable field: checked again
    with pytest.raises(ValidationError):
        skill.stamped(1, now, now)
