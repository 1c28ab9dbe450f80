"""Bad input gets a clear error and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from skills_fixtures import make_workspace, sample

from backend.errors import NotFound, ValidationError
from backend.skills import InvalidSkill, Skill, SkillConflict, parse_skill_text, validate_id

BAD_IDS = ["../x", "/abs", "a\0b", "x" * 300, "con", "NUL.json", "nul.json", "com1", "lpt9.txt",
           "Upper", "-dash", ".hidden", "a/b", "a\\b", "", "a..b", "spa ce"]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".db" and "-wal" not in p.name and "-shm" not in p.name
            and ".storeroom" not in p.parts}


@pytest.mark.parametrize("ident", BAD_IDS)
def test_bad_ids_are_refused_everywhere(tmp_path: Path, ident: str) -> None:
    with make_workspace(tmp_path / "w") as ws:
        before = _snapshot(tmp_path)
        with pytest.raises(ValidationError) as err:
            validate_id(ident)
        assert "id" in str(err.value) and err.value.hint
        for call in (lambda: ws.skills.get(ident), lambda: ws.skills.delete(ident),
                     lambda: ws.skills.tier_view(ident), lambda: ws.skills.exists(ident)):
            with pytest.raises(ValidationError):
                call()
        with pytest.raises(ValidationError):
            Skill(id=ident, name="x")
        assert _snapshot(tmp_path) == before
        assert not (tmp_path / "x").exists() and not Path("/abs.json").exists()


@pytest.mark.parametrize(("payload", "where"), [
    ({"id": "t", "name": 3}, "name"),
    ({"id": "t", "name": "ok", "tags": "web"}, "tags"),
    ({"id": "t", "name": "ok", "tags": ["a", 2]}, "tags[1]"),
    ({"id": "t", "name": "ok", "version": "2"}, "version"),
    ({"id": "t", "name": "ok", "version": True}, "version"),
    ({"id": "t", "name": "ok", "code": None}, "code"),
    ({"id": "t", "name": "ok", "updated_at": "yesterday"}, "updated_at"),
    ({"name": "ok"}, "id"),
    ([1, 2], None),
])
def test_wrong_types_point_at_the_field(payload: object, where: str | None) -> None:
    text = json.dumps(payload, indent=2)
    with pytest.raises(ValidationError) as err:
        parse_skill_text(text)
    if where:
        assert err.value.where == where
        if where.split("[")[0] in payload:  # type: ignore[operator]
            assert err.value.line is not None  # the editor can point at it


def test_invalid_json_points_at_the_line() -> None:
    with pytest.raises(ValidationError) as err:
        parse_skill_text('{\n  "id": "a",\n  "name": "b"\n  "code": ""\n}')
    assert err.value.line == 4 and "invalid JSON" in str(err.value)


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("latin.json", '{"id": "latin", "name": "caf\xe9"}'.encode("latin-1"), "not UTF-8"),
    ("trunc.json", b'{"id": "trunc", "name": "x"', "invalid JSON"),
    ("types.json", b'{"id": "types", "name": "x", "tags": {"a": 1}}', "tags"),
    ("other.json", b'{"id": "not-other", "name": "x"}', "does not match"),
    ("Bad Name.json", b'{"id": "bad", "name": "x"}', "not a valid skill id"),
])
def test_corrupt_files_are_listed_invalid_and_isolated(tmp_path: Path, name: str, content: bytes,
                                                       reason: str) -> None:
    with make_workspace(tmp_path / "w") as ws:
        good = ws.skills.put(sample("good"))
        path = tmp_path / "w" / "skills" / name
        path.write_bytes(content)
        invalid = ws.skills.invalid()
        assert [f.filename for f in invalid] == [name]
        assert reason in invalid[0].reason
        assert ws.skills.list().total == 1 and ws.skills.get("good") == good
        stem = name[:-5]
        if stem.islower() and " " not in stem:
            with pytest.raises(InvalidSkill) as err:
                ws.skills.get(stem)
            assert err.value.raw == content and reason in str(err.value)
            with pytest.raises(SkillConflict):
                ws.skills.put(sample(stem))
        assert path.read_bytes() == content


def test_huge_file_is_not_read_whole(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        path = tmp_path / "w" / "skills" / "huge.json"
        with open(path, "wb") as fh:
            fh.truncate(50 * 1024 * 1024)  # 50 MB (sparse): reading it whole would be slow and big
        import tracemalloc

        tracemalloc.start()
        with pytest.raises(InvalidSkill) as err:
            ws.skills.get("huge")
        invalid = ws.skills.invalid()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 5 * 1024 * 1024
        assert "over the" in str(err.value) and "max_file_bytes" in str(err.value)
        assert invalid[0].filename == "huge.json" and "over the" in invalid[0].reason
        with pytest.raises(SkillConflict) as conflict:
            ws.skills.put(sample("huge"))
        assert path.stat().st_size == 50 * 1024 * 1024
        assert conflict.value.theirs_hash == err.value.hash == invalid[0].hash
        fixed = ws.skills.put(sample("huge"), expected=invalid[0].hash)  # replacing it, asked for
        assert fixed.version == 1 and path.stat().st_size < 4096


def test_oversized_skill_is_refused_before_writing(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w", max_file_bytes=2048) as ws:
        with pytest.raises(ValidationError) as err:
            ws.skills.put(sample("big", code="x" * 5000))
        assert "limit" in str(err.value)
        assert not (tmp_path / "w" / "skills" / "big.json").exists()


def test_missing_and_wrong_arguments(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        with pytest.raises(NotFound):
            ws.skills.get("nope")
        with pytest.raises(ValidationError):
            ws.skills.put({"id": "x", "name": "y"})  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            ws.skills.put(sample("x"), expected=1.5)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            ws.skills.list(sort="colour")  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            ws.skills.import_folder(tmp_path / "missing")
