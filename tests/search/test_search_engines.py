"""One contract suite over both engines: Qdrant Edge and qdrant-client (local mode)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.search.engines import EdgeEngine, IndexPoint, Schema
from backend.search.server_engine import ClientEngine

DIM = 8
SCHEMA = Schema("test-model", DIM)


def _engine(kind: str, tmp_path: Path):
    if kind == "edge":
        return EdgeEngine(tmp_path / "index")
    if kind == "memory":
        return ClientEngine("memory://", "skills")
    return ClientEngine(f"path://{tmp_path / 'qdrant-local'}", "skills")


@pytest.fixture(params=["edge", "memory", "path"])
def kind(request) -> str:
    return request.param


def _vec(seed: int) -> list[float]:
    v = np.random.default_rng(seed).normal(size=DIM)
    return (v / np.linalg.norm(v)).tolist()


def _point(ident: str, seed: int, terms: list[int], tags: list[str]) -> IndexPoint:
    return IndexPoint(ident, (terms, [1.0] * len(terms)), _vec(seed),
                      {"skill_id": ident, "name": ident.title(), "tags": tags, "hash": f"h-{ident}"})


def _fill(engine) -> None:
    engine.upsert([_point("alpha", 1, [10, 11], ["a", "shared"]),
                   _point("beta", 2, [11, 12], ["b", "shared"]),
                   _point("gamma", 3, [13], ["c"])])


def test_open_new_then_search_both_lists(kind, tmp_path):
    engine = _engine(kind, tmp_path)
    assert engine.open(SCHEMA) == "new"
    _fill(engine)
    assert engine.count() == 3
    dense, sparse = engine.search(_vec(2), ([12], [1.0]), None, 10)
    assert dense[0].skill_id == "beta" and dense[0].score == pytest.approx(1.0, abs=1e-4)
    assert [h.skill_id for h in sparse] == ["beta"]
    assert dense[0].payload["hash"] == "h-beta"
    engine.close()


def test_tag_filter(kind, tmp_path):
    engine = _engine(kind, tmp_path)
    engine.open(SCHEMA)
    _fill(engine)
    dense, sparse = engine.search(_vec(3), ([11, 13], [1.0, 1.0]), "shared", 10)
    assert {h.skill_id for h in dense} == {"alpha", "beta"}
    assert {h.skill_id for h in sparse} == {"alpha", "beta"}
    engine.close()


def test_delete_set_payload_scan(kind, tmp_path):
    engine = _engine(kind, tmp_path)
    engine.open(SCHEMA)
    _fill(engine)
    engine.delete(["gamma"])
    engine.set_payload("alpha", {"mtime_ns": 42})
    payloads = {p["skill_id"]: p for p in engine.scan()}
    assert set(payloads) == {"alpha", "beta"}
    assert payloads["alpha"]["mtime_ns"] == 42 and payloads["alpha"]["hash"] == "h-alpha"
    assert engine.count() == 2
    engine.close()


def test_upsert_replaces_vectors(kind, tmp_path):
    engine = _engine(kind, tmp_path)
    engine.open(SCHEMA)
    _fill(engine)
    engine.upsert([_point("alpha", 9, [99], ["z"])])
    dense, sparse = engine.search(_vec(9), ([99], [1.0]), None, 1)
    assert dense[0].skill_id == "alpha" and sparse[0].skill_id == "alpha"
    assert engine.search(None, ([10], [1.0]), None, 5)[1] == []  # old words gone
    assert engine.count() == 3
    engine.close()


def test_lexical_schema_has_no_dense_vector(kind, tmp_path):
    engine = _engine(kind, tmp_path)
    engine.open(Schema(None, 0))
    engine.upsert([IndexPoint("alpha", ([1, 2], [1.0, 1.0]), None, {"skill_id": "alpha", "tags": []})])
    dense, sparse = engine.search(None, ([2], [1.0]), None, 5)
    assert dense == [] and [h.skill_id for h in sparse] == ["alpha"]
    engine.close()


@pytest.mark.parametrize("persistent", ["edge", "path"])
def test_reopen_keeps_points_and_model_change_rebuilds(persistent, tmp_path):
    engine = _engine(persistent, tmp_path)
    engine.open(SCHEMA)
    _fill(engine)
    engine.close()
    again = _engine(persistent, tmp_path)
    assert again.open(SCHEMA) is None  # same schema: opened as it was
    assert again.count() == 3
    again.close()
    other = _engine(persistent, tmp_path)
    reason = other.open(Schema("other-model", 16))
    assert reason is not None and "model changed" in reason and "other-model" in reason
    assert other.count() == 0  # never mixes vectors of two models
    other.close()


def test_edge_unreadable_files_are_rebuilt(tmp_path):
    engine = EdgeEngine(tmp_path / "index")
    engine.open(SCHEMA)
    _fill(engine)
    engine.close()
    for segment in (tmp_path / "index" / "edge").rglob("*"):
        if segment.is_file():
            segment.write_bytes(b"garbage")
    again = EdgeEngine(tmp_path / "index")
    reason = again.open(SCHEMA)
    assert reason is not None and again.count() == 0
    again.close()
