"""The first catalogue load's bulk reader (C, on a second thread) gives the same rows as
reading each file the careful way, for every kind of file a skills folder may hold."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from skills_fixtures import make_workspace, sample

from backend.skills import bulk_read
from backend.skills.catalogue_rows import plain_name, read_row

needs_native = pytest.mark.skipif(
    not bulk_read.AVAILABLE, reason="the C accelerator backend/skills/_readmany.c is not built: "
    "install gcc and the Python headers (apt install gcc python3-dev), then `make setup`")

MAX = 4096


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "skills"
    folder.mkdir()
    good = sample("good").to_dict()
    files: dict[str, bytes] = {
        "good.json": (json.dumps(good, indent=2, sort_keys=True) + "\n").encode(),
        "compact.json": json.dumps({**good, "id": "compact"}).encode(),
        "bad-json.json": b'{"id": "bad-json", ',
        "not-utf8.json": b'{"id": "not-utf8", "name": "\xff"}',
        "empty.json": b"",
        "too-big.json": b'{"id": "too-big", "pad": "' + b"x" * MAX + b'"}',
        "nan.json": json.dumps({**good, "id": "nan", "score": float("nan")}).encode(),
        "huge-int.json": json.dumps({**good, "id": "huge-int", "version": 2 ** 80}).encode(),
        "huge-extra.json": json.dumps({**good, "id": "huge-extra", "big": 2 ** 80}).encode(),
        "surrogate.json": json.dumps({**good, "id": "surrogate", "name": "a\ud800"}).encode(),
        "wrong-id.json": json.dumps({**good, "id": "other"}).encode(),
        "wrong-type.json": json.dumps({**good, "id": "wrong-type", "tags": "web"}).encode(),
        "trailing.json": json.dumps({**good, "id": "trailing"}).encode() + b" \n\t",
        "garbage-after.json": json.dumps({**good, "id": "garbage-after"}).encode() + b" x",
        "bom.json": b"\xef\xbb\xbf" + json.dumps({**good, "id": "bom"}).encode(),
        "dup-keys.json": b'{"id": "dup-keys", "name": "first", "name": "second"}',
        "array.json": b"[1, 2]",
    }
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    (folder / "a-folder.json").mkdir()  # not a file: an error the careful way reports
    return folder


@needs_native
def test_bulk_rows_equal_careful_rows_for_every_kind_of_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    names = sorted(n for n in os.listdir(folder) if plain_name(n)) + ["vanished.json"]
    fd = os.open(folder, os.O_RDONLY)
    try:
        bulk = dict(bulk_read.plain_rows(fd, names, MAX))
        assert list(bulk) == names
        for name in names:
            try:
                careful = read_row(str(folder), name, MAX, fd)
            except OSError as exc:
                assert bulk[name] is None, (name, exc)  # left to the careful way, which raises
                continue
            got = bulk[name] or read_row(str(folder), name, MAX, fd)
            assert (got.fp, got.summary, got.invalid) == (careful.fp, careful.summary, careful.invalid), name
    finally:
        os.close(fd)
    assert bulk["good.json"] is not None and bulk["good.json"].summary.name == "Skill good"
    assert bulk["huge-extra.json"] is not None  # a big number outside the summary is fine
    for name in ("empty.json", "too-big.json", "vanished.json"):
        assert bulk[name] is None


@needs_native
def test_runs_split_by_bytes_and_files_keep_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "skills"
    folder.mkdir()
    names = []
    for i in range(50):
        skill = sample(f"s{i:03d}", description="d" * (i * 40))
        (folder / f"{skill.id}.json").write_bytes(skill.to_bytes())
        names.append(f"{skill.id}.json")
    monkeypatch.setattr(bulk_read, "RUN_FILES", 7)
    monkeypatch.setattr(bulk_read, "RUN_BYTES", 3000)
    fd = os.open(folder, os.O_RDONLY)
    try:
        rows = list(bulk_read.plain_rows(fd, names, 1 << 20))
    finally:
        os.close(fd)
    assert [n for n, _ in rows] == names
    assert [r.summary.id for _, r in rows] == [n[:-5] for n in names]


@needs_native
def test_first_catalogue_load_uses_the_bulk_reader_and_lists_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_workspace(tmp_path / "w") as ws:
        folder = ws.paths.skills
        for i in range(300):
            (folder / f"k{i:04d}.json").write_bytes(sample(f"k{i:04d}", name=f"Name {299 - i:04d}").to_bytes())
        (folder / "broken.json").write_bytes(b"{")
        cache = ws.paths.state / "skills-catalogue.json"
    cache.unlink(missing_ok=True)  # a first open ever: every file is read
    runs: list[int] = []
    read_many = bulk_read._readmany.read_many
    monkeypatch.setattr(bulk_read, "_readmany", type("Spy", (), {"read_many": staticmethod(
        lambda fd, names, *a: runs.append(len(names)) or read_many(fd, names, *a))}))
    with make_workspace(tmp_path / "w") as ws:
        page = ws.skills.list(limit=1000, sort="name")
        assert page.total == 300 and page.items[0].id == "k0299"
        assert [f.filename for f in ws.skills.invalid()] == ["broken.json"]
    assert runs and runs[0] == 301  # every plain name went through the bulk reader in one run


def test_native_reader_is_built_on_ci() -> None:
    if os.environ.get("CI", "").strip().lower() == "true":
        assert bulk_read.AVAILABLE, "backend/skills/_readmany.c was not built (gcc and python3-dev needed)"
