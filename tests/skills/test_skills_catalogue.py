"""The catalogue behind list(): quick first page, persisted rows, in-place edits found."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from skills_fixtures import make_workspace, sample


def _write_many(root: Path, count: int) -> None:
    with make_workspace(root) as ws:
        folder = ws.paths.skills
        for i in range(count):
            s = sample(f"c{i:03d}", name=f"Name {count - i:03d}")
            (folder / f"{s.id}.json").write_bytes(s.to_bytes())
        (folder / "zz-broken.json").write_bytes(b"{")


def test_cold_first_page_then_exact(tmp_path: Path) -> None:
    root = tmp_path / "w"
    _write_many(root, 120)
    with make_workspace(root) as ws:
        done = threading.Event()
        ws.events.subscribe(lambda e: done.set() if e.kind == "skills.catalogue" else None)
        quick = ws.skills.list(limit=10, offset=5)
        assert [s.id for s in quick.items] == [f"c{i:03d}" for i in range(5, 15)]
        assert not quick.complete and quick.total == 121  # the broken file is not checked yet
        assert done.wait(5.0)
        exact = ws.skills.list(limit=10, sort="name")
        assert exact.complete and exact.total == 120 and exact.invalid == 1
        assert exact.items[0].id == "c119"


def test_rows_persist_and_in_place_edits_are_found(tmp_path: Path) -> None:
    root = tmp_path / "w"
    _write_many(root, 20)
    with make_workspace(root) as ws:
        assert ws.skills.list(sort="name").total == 20
    cache = root / ".storeroom" / "skills-catalogue.json"
    assert cache.exists() and len(json.loads(cache.read_bytes())["rows"]) == 21
    # edited in place while storeroom was closed: same name, new content and mtime
    path = root / "skills" / "c007.json"
    data = json.loads(path.read_bytes())
    data["description"] = "edited while closed"
    path.write_text(json.dumps(data, indent=2))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    with make_workspace(root) as ws:
        page = ws.skills.list(sort="name", verify=True)
        assert {s.id: s.description for s in page.items}["c007"] == "edited while closed"
    with make_workspace(root) as ws:
        changed = threading.Event()
        ws.events.subscribe(lambda e: changed.set() if e.kind == "skills.catalogue" else None)
        data["description"] = "edited again"
        path.write_text(json.dumps(data, indent=2))
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 9_000_000_000))
        ws.skills.list(sort="name")  # from the cache, and a background check starts
        assert changed.wait(5.0)
        page = ws.skills.list(sort="name")
        assert {s.id: s.description for s in page.items}["c007"] == "edited again"


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "w"
    _write_many(root, 5)
    cache = root / ".storeroom" / "skills-catalogue.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(b"\x00not json")
    with make_workspace(root) as ws:
        assert ws.skills.list(sort="version").total == 5
        ws.skills.put(sample("new-one"))
    assert "new-one.json" in json.loads(cache.read_bytes())["rows"]


def test_watcher_invalidate_refreshes_a_row(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        saved = ws.skills.put(sample("x1"))
        time.sleep(0.12)  # past the racy window: the row is now trusted on its fingerprint
        ws.skills.list(sort="name", verify=True)
        assert ws.skills.list(sort="name").items[0].name == "Skill x1"
        path = tmp_path / "w" / "skills" / "x1.json"
        before = path.stat()
        path.write_bytes(saved.evolve(name="Skill y1").to_bytes())  # same size, in place
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
        assert ws.skills.list(sort="name").items[0].name == "Skill x1"  # a listing trusts its rows...
        ws.skills.invalidate("x1")  # ...until the folder watcher says so
        assert ws.skills.list(sort="name").items[0].name == "Skill y1"
        # verify=True stats every file: the ctime (which utime cannot put back) shows it
        time.sleep(0.12)
        ws.skills.list(sort="name", verify=True)
        before = path.stat()
        path.write_bytes(saved.evolve(name="Skill z1").to_bytes())
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size
        assert ws.skills.list(sort="name", verify=True).items[0].name == "Skill z1"
        assert ws.skills.get("x1").name == "Skill z1"


def test_files_added_and_removed_behind_our_back_show_at_once(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        ws.skills.put(sample("a0"))
        time.sleep(0.12)
        assert ws.skills.list(sort="name").total == 1
        assert ws.skills.list(sort="name").total == 1  # folder unchanged: no listing needed
        folder = tmp_path / "w" / "skills"
        (folder / "b0.json").write_bytes(sample("b0").to_bytes())
        assert [s.id for s in ws.skills.list(sort="name").items] == ["a0", "b0"]
        (folder / "a0.json").unlink()
        assert [s.id for s in ws.skills.list(sort="name").items] == ["b0"]


FILES = {
    "ok.json": sample("ok").to_bytes(),
    "extra-fields.json": sample("extra-fields", extra={"n": [1, {"x": None}]}).to_bytes(),
    "no-optional.json": json.dumps({"id": "no-optional", "name": "N"}).encode(),
    "other-id.json": sample("someone-else").to_bytes(),
    "tags-string.json": json.dumps({"id": "tags-string", "name": "T", "tags": "web"}).encode(),
    "tags-null.json": json.dumps({"id": "tags-null", "name": "T", "tags": None}).encode(),
    "bad-time.json": json.dumps({"id": "bad-time", "name": "T", "created_at": "yesterday"}).encode(),
    "bool-version.json": json.dumps({"id": "bool-version", "name": "T", "version": True}).encode(),
    "blank-name.json": json.dumps({"id": "blank-name", "name": "  "}).encode(),
    "not-json.json": b"{",
    "latin1.json": '{"id": "latin1", "name": "caf\xe9"}'.encode("latin-1"),
    "array.json": b"[]",
    "empty.json": b"",
    "UPPER.json": sample("upper").to_bytes(),
    "con.json": json.dumps({"id": "con", "name": "C"}).encode(),
    "big.json": json.dumps({"id": "big", "name": "B", "code": "x" * 5000}).encode(),
    "spaced.json": b"  \n" + json.dumps({"id": "spaced", "name": "S"}).encode() + b" \n\t",
    "trailing.json": json.dumps({"id": "trailing", "name": "T"}).encode() + b" x",
    "bom.json": b"\xef\xbb\xbf" + json.dumps({"id": "bom", "name": "B"}).encode(),
    "unicode.json": json.dumps({"id": "unicode", "name": "Ünïcødé ✓"}, ensure_ascii=False).encode() + b"\n",
}


def test_fast_rows_equal_checked_rows(tmp_path: Path) -> None:
    """The catalogue's fast reader gives the row the validating reader gives, file by file."""
    from backend.skills.catalogue import load_row, read_row

    folder = tmp_path / "skills"
    folder.mkdir()
    for name, content in FILES.items():
        (folder / name).write_bytes(content)
        old = time.time_ns() - 10_000_000_000  # not racy: both readers see the same
        os.utime(folder / name, ns=(old, old))
    for name in FILES:
        fast = read_row(str(folder), name, 4096)
        slow = load_row(str(folder), name, 4096)[0]
        assert (fast.fp, fast.racy, fast.summary, fast.invalid) == (slow.fp, slow.racy, slow.summary, slow.invalid), name
    assert read_row(str(folder), "ok.json", 4096).summary is not None
    assert read_row(str(folder), "big.json", 4096).invalid is not None  # over the limit


def test_first_load_saves_the_rows_later_off_the_caller(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import gc

    from backend.skills import catalogue

    root = tmp_path / "w"
    _write_many(root, 70)  # at least 64 rows read: worth saving
    cache = root / ".storeroom" / "skills-catalogue.json"
    cache.unlink(missing_ok=True)
    monkeypatch.setattr(catalogue, "SAVE_DELAY", 0.3)
    monkeypatch.setattr(catalogue, "GC_PAUSE_MIN", 10)
    with make_workspace(root) as ws:
        assert ws.skills.list(sort="name", limit=100).total == 70
        assert gc.isenabled()  # held off during the load only
        assert not cache.exists()  # not written in the caller's way...
        deadline = time.monotonic() + 5
        while not cache.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(json.loads(cache.read_bytes())["rows"]) == 71  # ...but soon after
