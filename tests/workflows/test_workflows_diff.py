"""Unified, side-by-side and structural diffs between versions."""

from __future__ import annotations

from workflows_fixtures import definition

from backend.workflows import describe_structural


def _store_pair(ws):
    a = definition(steps=3)
    b = definition(steps=3, owner="ops")
    b["name"] = "Digest v2"
    b["steps"][1]["inputs"] = {"n": 1, "lang": "en"}
    b["steps"][1]["skill"] = "fetch-url"
    del b["steps"][2]
    b["steps"][1]["next"] = "s9"
    b["steps"].append({"id": "s9", "skill": "send-email-smtp", "next": None})
    ws.workflows.store("w", a)
    ws.workflows.store("w", b)


def test_structural_diff_keys_and_steps(ws):
    _store_pair(ws)
    d = ws.workflows.diff("w", 1, 2).structural
    assert {(k.path, k.kind) for k in d.keys} == {("name", "changed"), ("owner", "added")}
    kinds = {s.step_id: s.kind for s in d.steps}
    assert kinds == {"s1": "changed", "s2": "removed", "s9": "added"}
    [s1] = [s for s in d.steps if s.step_id == "s1"]
    assert {(c.path, c.kind) for c in s1.changes} == {
        ("skill", "changed"), ("inputs.lang", "added"), ("next", "changed")}
    text = "\n".join(describe_structural(d))
    assert "+ step s9 added" in text and "- step s2 removed" in text


def test_unified_and_side_by_side(ws):
    _store_pair(ws)
    d = ws.workflows.diff("w", 1, 2)
    assert d.unified[0] == "--- w v1" and d.unified[1] == "+++ w v2"
    assert "-name: Digest" in d.unified and "+name: Digest v2" in d.unified
    kinds = {row.kind for row in d.side_by_side}
    assert {"equal", "replace"} <= kinds
    left = [r.left for r in d.side_by_side if r.left is not None]
    right = [r.right for r in d.side_by_side if r.right is not None]
    assert "\n".join(left) + "\n" == __import__("backend.workflows", fromlist=["x"]).definition_text(
        ws.workflows.get("w", 1).definition)
    assert len(right) == len(__import__("backend.workflows", fromlist=["x"]).definition_text(
        ws.workflows.get("w", 2).definition).splitlines())


def test_identical_versions_and_moved_steps(ws):
    a = definition(steps=3)
    b = definition(steps=3)
    b["steps"] = [b["steps"][1], b["steps"][0], b["steps"][2]]
    ws.workflows.store("w", a)
    ws.workflows.store("w", a)
    ws.workflows.store("w", b)
    same = ws.workflows.diff("w", 1, 2)
    assert same.unified == () and same.structural.empty
    moved = ws.workflows.diff("w", 1, 3).structural
    assert {s.step_id: s.kind for s in moved.steps} == {"s1": "moved", "s0": "moved"}
