"""Storing, reading, immutability, lineage, deletion and hand-edit detection."""

from __future__ import annotations

import os

import pytest
from workflows_fixtures import definition

from backend.errors import Conflict, NotFound, ValidationError
from backend.safe_yaml import load_yaml
from backend.workflows import content_hash
from backend.workflows.files import write_once


def test_store_writes_readable_file_with_metadata(ws):
    v = ws.workflows.store("digest", definition(), message="first", author="eva")
    assert (v.version, v.parent, v.author, v.message) == (1, None, "eva", "first")
    path = ws.paths.workflows / "digest" / "v1.yaml"
    doc = load_yaml(path.read_bytes())
    assert doc["id"] == "digest" and doc["version"] == 1 and doc["parent"] is None
    assert doc["created_at"] == "2026-01-05T10:01:00+00:00"
    assert doc["content_hash"] == content_hash(definition()) == v.content_hash
    assert doc["definition"] == definition()
    assert not v.modified and v.warnings == ()


def test_parent_defaults_to_latest_and_numbers_grow(ws):
    ws.workflows.store("digest", definition())
    v2 = ws.workflows.store("digest", definition(steps=3))
    v3 = ws.workflows.store("digest", definition(steps=1), parent=1)
    assert (v2.version, v2.parent) == (2, 1)
    assert (v3.version, v3.parent) == (3, 1)
    assert ws.workflows.get_latest("digest").version == 3
    assert [i.version for i in ws.workflows.list("digest")] == [1, 2, 3]


def test_unknown_keys_and_yaml_text_are_accepted_and_preserved(ws):
    text = ("name: Digest\ndescription: d\nowner: team-a\nsteps:\n"
            "  - id: a\n    skill: fetch-url\n    retry: {max: 3}\n    next: null\n")
    v = ws.workflows.store("digest", text)
    got = ws.workflows.get("digest", v.version)
    assert got.definition["owner"] == "team-a"
    assert got.definition["steps"][0]["retry"] == {"max": 3}


def test_a_second_write_to_an_existing_version_is_refused(ws):
    ws.workflows.store("digest", definition())
    folder = ws.paths.workflows / "digest"
    before = (folder / "v1.yaml").read_bytes()
    # write_once never overwrites: asked to start at 1, it moves on to 2.
    number, _ = write_once(folder, 1, lambda n: f"other {n}\n")
    assert number == 2
    assert (folder / "v1.yaml").read_bytes() == before
    with pytest.raises(FileExistsError):
        fd = os.open(folder / "v1.yaml", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(fd)


def test_hand_edit_is_detected_not_accepted(ws):
    ws.workflows.store("digest", definition())
    path = ws.paths.workflows / "digest" / "v1.yaml"
    path.write_text(path.read_text().replace("      n: 1\n", "      n: 99\n"))
    v = ws.workflows.get("digest", 1)
    assert v.modified
    assert v.definition["steps"][1]["inputs"]["n"] == 99
    assert v.content_hash == content_hash(definition()) != v.actual_hash


def test_get_missing_and_bad_ids(ws):
    with pytest.raises(NotFound):
        ws.workflows.get_latest("nope")
    for bad in ("../etc", "A/b", "", ".hidden", "a" * 200):
        with pytest.raises(ValidationError):
            ws.workflows.get_latest(bad)
    ws.workflows.store("digest", definition())
    with pytest.raises(NotFound):
        ws.workflows.get("digest", 7)
    with pytest.raises(NotFound):
        ws.workflows.store("digest", definition(), parent=7)


def test_lineage_with_branches(ws):
    s = ws.workflows
    s.store("w", definition())               # v1
    s.store("w", definition(steps=3))        # v2 <- 1
    s.store("w", definition(steps=1))        # v3 <- 2
    s.store("w", definition("B"), parent=2)  # v4 <- 2 (branch)
    s.store("w", definition("C"), parent=1)  # v5 <- 1 (branch)
    [root] = s.lineage("w")
    assert root.version == 1
    assert [c.version for c in root.children] == [2, 5]
    assert [c.version for c in root.children[0].children] == [3, 4]


def test_delete_leaf_leaves_tombstone_and_number_is_not_reused(ws):
    s = ws.workflows
    s.store("w", definition())
    s.store("w", definition(steps=3))
    s.delete("w", 2)
    assert [i.version for i in s.list("w")] == [1]
    with pytest.raises(NotFound, match="deleted"):
        s.get("w", 2)
    assert s.store("w", definition(steps=1)).version == 3
    assert [e.action for e in ws.audit.query(target_prefix="workflow:w@")][:2] == [
        "workflow.store", "workflow.delete"]


def test_delete_with_descendants_refused_then_forced(ws):
    s = ws.workflows
    s.store("w", definition())
    s.store("w", definition(steps=3))
    s.store("w", definition(steps=1))
    with pytest.raises(Conflict, match="v3"):
        s.delete("w", 2)
    assert (ws.paths.workflows / "w" / "v2.yaml").exists()
    s.delete("w", 2, force=True)
    [root] = s.lineage("w")
    [mid] = root.children
    assert mid.deleted and mid.version == 2 and [c.version for c in mid.children] == [3]
    assert s.get("w", 3).parent == 2
    with pytest.raises(NotFound):
        s.store("w", definition(), parent=2)


def test_list_all_sees_external_changes_and_bad_files(ws):
    s = ws.workflows
    s.store("a", definition("A"))
    s.store("b", definition("B"))
    assert [(w.workflow_id, w.name) for w in s.list_all()] == [("a", "A"), ("b", "B")]
    (ws.paths.workflows / "b" / "v2.yaml").write_text("id: [unclosed\n")
    (ws.paths.workflows / "..bad").mkdir()
    summaries = {w.workflow_id: w for w in s.list_all()}
    assert set(summaries) == {"a", "b"}
    assert summaries["b"].latest.error and "syntax" in summaries["b"].latest.error
    with pytest.raises(ValidationError, match="line 2"):
        s.get("b", 2)


def test_index_survives_a_new_process_and_detects_edits(ws):
    from backend.workflows.store import WorkflowStore

    ws.workflows.store("a", definition("A"), message="one")
    ws.workflows.list_all()
    ws.workflows.close()
    path = ws.paths.workflows / "a" / "v1.yaml"
    path.write_text(path.read_text().replace('"one"', '"edited message"'))
    fresh = WorkflowStore(ws)
    assert fresh.list("a")[0].message == "edited message"


def test_missing_skill_is_a_warning_not_an_error(ws):
    d = definition()
    d["steps"][0]["skill"] = "no-such-skill"
    v = ws.workflows.store("w", d)
    assert v.version == 1
    assert any("no-such-skill" in w for w in v.warnings)
    assert v.missing_skills == ("no-such-skill",)
    assert ws.workflows.get("w", 1).warnings == v.warnings


def test_audit_and_event_on_store(ws):
    seen = []
    ws.events.subscribe(seen.append)
    v = ws.workflows.store("w", definition(), message="m")
    [entry] = ws.audit.query(target="workflow:w@v1")
    assert entry.action == "workflow.store" and entry.after_hash == v.content_hash
    assert [(e.kind, e.subject, e.detail) for e in seen] == [("workflow.stored", "w", "v1")]


@pytest.mark.parametrize("name,message", [
    ("Plain name", "plain"),
    ("Name: with colon # and hash", 'quotes " and \' and\nnewline'),
    ("Ünïcødé 名前", "emoji 🚀 and tab\tend"),
    ("yes", "null"),
    ("x" * 150, "long " * 40),
])
def test_header_fast_path_matches_the_full_parse(ws, name, message):
    from backend.workflows.fileformat import fast_info, full_info

    v = ws.workflows.store("w", definition(name), message=message, author="ëva")
    data = (ws.paths.workflows / "w" / f"v{v.version}.yaml").read_bytes()
    full = full_info(data, "w", v.version, "test")
    fast = fast_info(data, "w", v.version)
    message = message.strip()  # store() trims the message
    assert full.error is None and (full.name, full.message, full.author) == (name, message, "ëva")
    if name in ("Plain name", "yes"):
        assert fast is not None  # the common case needs no YAML parse
    if fast is not None:  # the fast path may decline, but must never disagree
        assert fast == full
    [listed] = [s for s in ws.workflows.list_all() if s.workflow_id == "w"]
    assert (listed.latest.name, listed.latest.message) == (name, message)


def test_the_parse_cache_on_disk_stays_bounded_and_keeps_the_newest(tmp_path):
    import os

    from backend.workflows.files import ParseCache

    cache = ParseCache(tmp_path / "cache", capacity=4, disk_capacity=8, prune_every=5)
    for n in range(30):
        cache.put(f"k{n:02d}", {"n": n})
        os.utime(tmp_path / "cache" / f"k{n:02d}.json", ns=(n * 10**9, n * 10**9))  # write order
    on_disk = sorted(p.stem for p in (tmp_path / "cache").glob("*.json"))
    assert len(on_disk) <= 8
    assert on_disk[-1] == "k29" and "k00" not in on_disk
    fresh = ParseCache(tmp_path / "cache")  # a new process: only the disk
    assert fresh.get("k29") == {"n": 29}
    assert fresh.get("k00") is None  # pruned: the caller parses the file again
