"""Audit entries, events, import/export and the watcher's invalidation hooks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from skills_fixtures import make_workspace, sample

from backend.skills import content_hash

REPO = Path(__file__).resolve().parents[2]


def test_every_put_and_delete_is_audited_with_hashes(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        events = []
        ws.events.subscribe(events.append)
        path = tmp_path / "w" / "skills" / "a.json"
        one = ws.skills.put(sample("a"))
        h1 = content_hash(path.read_bytes())
        two = ws.skills.put(one.evolve(code="z"), expected=h1)
        h2 = content_hash(path.read_bytes())
        ws.skills.delete("a", expected=two.version)
        entries = ws.skills.audit_entries("a")
        assert [(e.action, e.before_hash, e.after_hash) for e in entries] == [
            ("skill.delete", h2, None), ("skill.put", h1, h2), ("skill.put", None, h1)]
        assert all(e.actor for e in entries) and entries[1].detail == {"version": 2}
        assert [(e.kind, e.subject) for e in events] == [
            ("skill.saved", "a"), ("skill.saved", "a"), ("skill.deleted", "a")]
        assert events[1].data["hash"] == h2


def test_import_export_roundtrip(tmp_path: Path) -> None:
    src = REPO / "sample-data" / "skills"
    with make_workspace(tmp_path / "w") as ws:
        report = ws.skills.import_folder(src)
        count = len(list(src.glob("*.json")))
        assert report.imported == count and not report.errors
        for name in ("call-json-api.json", "fetch-url.json"):
            if (src / name).exists():  # canonical sample files round-trip byte for byte
                assert (tmp_path / "w" / "skills" / name).read_bytes() == (src / name).read_bytes()
        again = ws.skills.import_folder(src)
        assert again.imported == 0 and len(again.skipped) == count
        out = ws.skills.export_folder(tmp_path / "out")
        assert out.exported == count
        (tmp_path / "out" / "bad.json").write_bytes(b"nope")
        first = sorted((tmp_path / "out").glob("*.json"))[0]
        data = json.loads(first.read_bytes())
        data["description"] = "changed"
        first.write_text(json.dumps(data))
    with make_workspace(tmp_path / "w2") as ws2:
        rep = ws2.skills.import_folder(tmp_path / "out")
        assert rep.imported == count and rep.errors[0][0] == "bad.json"
    with make_workspace(tmp_path / "w") as ws:
        rep = ws.skills.import_folder(tmp_path / "out")
        assert rep.imported == 0 and any("overwrite" in why for _, why in rep.skipped)
        rep = ws.skills.import_folder(tmp_path / "out", overwrite=True)
        assert rep.ids == [first.stem]
        assert ws.skills.get(first.stem).description == "changed"


def test_invalidate_hooks_and_stats(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w", memory_max_entries=3) as ws:
        store = ws.skills
        for i in range(5):
            store.put(sample(f"m{i}"))
        stats = store.stats()
        assert stats["memory"].entries == 3  # LRU bound by entries
        store.invalidate("m4")
        assert store.tier_view("m4").memory is None
        store.invalidate_all()
        assert store.stats()["memory"].entries == 0
        store.get("m1")
        store.get("m1")
        s = store.stats()
        assert s["disk"].hits >= 1 and s["disk"].p50_us is not None and s["disk"].entries == 5


def test_cli_list_get_audit(tmp_path: Path) -> None:
    root = tmp_path / "w"
    with make_workspace(root) as ws:
        ws.skills.put(sample("cli-one", tags=("alpha",)))
        ws.skills.put(sample("cli-two", tags=("beta",)))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tui.cli", "-w", str(root), "skills", *args],
                              capture_output=True, text=True, cwd=REPO, timeout=60)

    listed = run("list", "--tag", "beta", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["id"] for s in json.loads(listed.stdout)["items"]] == ["cli-two"]
    got = run("get", "cli-one", "--json")
    assert json.loads(got.stdout)["skill"]["tags"] == ["alpha"]
    bad = run("get", "../etc/passwd")
    assert bad.returncode == 2 and "skill id" in bad.stderr and "Traceback" not in bad.stderr
    audit = run("audit", "cli-one")
    assert "skill.put" in audit.stdout and "skill:cli-one" in audit.stdout
