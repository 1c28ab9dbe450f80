"""Where skill vectors live: one collection schema, two engines behind one interface.

* :class:`EdgeEngine` (default): Qdrant Edge, Qdrant's engine in-process, persisted
  under ``.storeroom/index/edge``. HNSW is configured; the payload index is on ``tags``.
* :class:`~backend.search.server_engine.ClientEngine`: ``qdrant-client`` against a
  server URL (or its local mode, ``memory://`` / ``path://``, for tests).

Points are keyed by a UUID derived from the skill id; the payload carries what the
reconciler and the result list need (id, name, tags, description, hash, mtime, size).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SPARSE = "bm25"
SCHEMA_VERSION = 1
_NAMESPACE = uuid.UUID("8f4a6c1e-2b7d-4f0a-9c35-5e1d7a2b9c40")
PAYLOAD_KEYS = ["skill_id", "name", "tags", "description", "hash", "mtime_ns", "size"]


def point_id(skill_id: str) -> str:
    """The point id of a skill: a stable UUID (Qdrant ids are ints or UUIDs)."""
    return str(uuid.uuid5(_NAMESPACE, skill_id))


@dataclass(frozen=True)
class Schema:
    """What one collection holds: an optional dense vector (named after its model) + BM25."""

    model: str | None
    dimension: int

    @property
    def dense(self) -> str | None:
        return f"dense-{self.model}" if self.model else None

    def as_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, "model": self.model, "dimension": self.dimension, "sparse": SPARSE}


@dataclass
class IndexPoint:
    """One skill as stored: vectors plus payload."""

    skill_id: str
    sparse: tuple[list[int], list[float]]
    dense: list[float] | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    skill_id: str
    score: float
    payload: dict[str, Any]


class Engine(Protocol):
    """The contract both engines meet (tests/search run one suite over both)."""

    kind: str

    def open(self, schema: Schema) -> str | None:
        """Open or create the collection: None if opened as it was, else why it starts
        empty (``"new"``, or the reason an old one was dropped, e.g. a model change)."""

    def upsert(self, points: list[IndexPoint]) -> None: ...

    def delete(self, skill_ids: list[str]) -> None: ...

    def set_payload(self, skill_id: str, payload: dict[str, Any]) -> None: ...

    def search(self, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None,
               tag: str | None, limit: int) -> tuple[list[Hit], list[Hit]]:
        """(dense hits, sparse hits), each best first, filtered by tag."""

    def scan(self) -> Iterator[dict[str, Any]]:
        """Every point's payload."""

    def count(self) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def destroy(self) -> None:
        """Drop the collection and its files (a rebuild follows)."""


class EdgeEngine:
    """Qdrant Edge shard in ``folder``; ``meta.json`` beside it records the schema."""

    kind = "qdrant-edge"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.shard_path = folder / "edge"
        self.meta_path = folder / "meta.json"
        self.shard: Any = None
        self.schema: Schema | None = None

    def _config(self, schema: Schema) -> Any:
        import qdrant_edge as qe

        vectors = {}
        if schema.dense:
            vectors[schema.dense] = qe.EdgeVectorParams(size=schema.dimension, distance=qe.Distance.Cosine)
        # HNSW is built by the optimizer once a segment passes the indexing threshold (10 MB,
        # ~6k skills); below it an exact scan answers in well under a millisecond.
        return qe.EdgeConfig(
            vectors=vectors or None,
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10_000,
                                           max_indexing_threads=1),
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=10_000),
            max_search_threads=1,
        )

    def open(self, schema: Schema) -> str | None:
        import qdrant_edge as qe

        self.schema = schema
        stored = self._read_meta()
        if stored is None and not self.shard_path.exists():
            reason = "new"
        elif stored == schema.as_dict() and self.shard_path.is_dir():
            try:
                self.shard = qe.EdgeShard.load(str(self.shard_path))
                return None
            except Exception as exc:  # noqa: BLE001 - a corrupt derived index is rebuilt
                if "WouldBlock" in str(exc):
                    raise
                reason = f"index files unreadable ({str(exc)[:80]})"
        elif stored is None:
            reason = "index metadata missing"
        elif stored == schema.as_dict():
            reason = "index files missing"
        elif stored.get("schema") != SCHEMA_VERSION:
            reason = f"index format changed ({stored.get('schema')} -> {SCHEMA_VERSION})"
        else:
            old = stored.get("model") or "lexical"
            reason = f"model changed ({old} -> {schema.model or 'lexical'})"
        self.destroy()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shard = qe.EdgeShard.create(str(self.shard_path), self._config(schema))
        self.shard.update(qe.UpdateOperation.create_field_index("tags", qe.PayloadSchemaType.Keyword))
        self.shard.flush()
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(schema.as_dict()), encoding="utf-8")
        tmp.replace(self.meta_path)
        return reason

    def _read_meta(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _point(self, p: IndexPoint) -> Any:
        import qdrant_edge as qe

        vector: dict[str, Any] = {SPARSE: qe.SparseVector(*p.sparse)}
        if self.schema and self.schema.dense and p.dense is not None:
            vector[self.schema.dense] = p.dense
        return qe.Point(point_id(p.skill_id), vector, p.payload)

    def upsert(self, points: list[IndexPoint]) -> None:
        import qdrant_edge as qe

        if points:
            self.shard.update(qe.UpdateOperation.upsert_points([self._point(p) for p in points]))

    def delete(self, skill_ids: list[str]) -> None:
        import qdrant_edge as qe

        if skill_ids:
            self.shard.update(qe.UpdateOperation.delete_points([point_id(s) for s in skill_ids]))

    def set_payload(self, skill_id: str, payload: dict[str, Any]) -> None:
        import qdrant_edge as qe

        self.shard.update(qe.UpdateOperation.set_payload([point_id(skill_id)], payload))

    def search(self, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None,
               tag: str | None, limit: int) -> tuple[list[Hit], list[Hit]]:
        import qdrant_edge as qe

        flt = qe.Filter(must=[qe.FieldCondition("tags", match=qe.MatchValue(tag))]) if tag else None
        requests, kinds = [], []
        if dense is not None and self.schema and self.schema.dense:
            requests.append(qe.QueryRequest(limit=limit, query=qe.Query.Nearest(dense, using=self.schema.dense),
                                            filter=flt, with_payload=True))
            kinds.append("dense")
        if sparse is not None and sparse[0]:
            requests.append(qe.QueryRequest(limit=limit, query=qe.Query.Nearest(qe.SparseVector(*sparse), using=SPARSE),
                                            filter=flt, with_payload=True))
            kinds.append("sparse")
        answers = self.shard.query_batch(qe.QueryBatchRequest(requests)) if requests else []
        found = {kind: [Hit(p.payload["skill_id"], float(p.score), p.payload) for p in points]
                 for kind, points in zip(kinds, answers, strict=True)}
        return found.get("dense", []), found.get("sparse", [])

    def scan(self) -> Iterator[dict[str, Any]]:
        import qdrant_edge as qe

        offset = None
        while True:
            # Small pages: each call holds the GIL while it builds Python dicts (UI stalls).
            records, offset = self.shard.scroll(qe.ScrollRequest(offset=offset, limit=250, with_payload=True,
                                                                 with_vector=False))
            for record in records:
                yield record.payload or {}
            if offset is None:
                return

    def count(self) -> int:
        return int(self.shard.info().points_count) if self.shard is not None else 0

    def flush(self) -> None:
        if self.shard is not None:
            self.shard.flush()

    def optimize(self) -> None:
        """Build HNSW segments now (holds the GIL for seconds at 10k+: CLI and bench only)."""
        if self.shard is not None:
            self.shard.optimize()

    def close(self) -> None:
        if self.shard is not None:
            shard, self.shard = self.shard, None
            try:
                shard.flush()
            finally:
                shard.close()

    def destroy(self) -> None:
        if self.shard is not None:
            try:
                self.shard.close()
            except Exception:  # noqa: BLE001 - the files go anyway
                pass
            self.shard = None
        shutil.rmtree(self.shard_path, ignore_errors=True)
        self.meta_path.unlink(missing_ok=True)
