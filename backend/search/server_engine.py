"""The server engine: ``qdrant-client`` against a Qdrant URL from the config.

``http(s)://host:port`` talks to a server. ``memory://`` and ``path:///abs/dir`` select
qdrant-client's local mode, which speaks the same API; it is brute-force Python, so it
is for tests and tiny workspaces, never the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ..errors import BackendUnavailable, ConfigError
from ..redact import mask_url
from .engines import SPARSE, Hit, IndexPoint, Schema, point_id


def make_client(url: str, timeout: float) -> Any:
    """A QdrantClient for ``url`` (http/https server, memory:// or path:// local mode)."""
    from qdrant_client import QdrantClient

    parts = urlsplit(url)
    if parts.scheme == "memory":
        return QdrantClient(location=":memory:")
    if parts.scheme == "path":
        folder = (parts.netloc + parts.path) or ""
        if not folder:
            raise ConfigError(f"qdrant.url {url!r} names no folder; write path:///absolute/folder")
        return QdrantClient(path=folder)
    if parts.scheme in ("http", "https"):
        return QdrantClient(url=url, timeout=max(1, int(round(timeout))), check_compatibility=False)
    raise ConfigError(f"qdrant.url scheme {parts.scheme!r} is not supported; use http(s)://, memory:// or path://")


class ClientEngine:
    """One collection on a Qdrant server (or in local mode)."""

    def __init__(self, url: str, collection: str, timeout: float = 2.0) -> None:
        self.url = url
        self.collection = collection
        self.timeout = timeout
        self.kind = "qdrant-local" if urlsplit(url).scheme in ("memory", "path") else "qdrant-server"
        self.client: Any = None
        self.schema: Schema | None = None

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        try:
            return fn(*args, **kwargs)
        except UnexpectedResponse as exc:
            raise BackendUnavailable("qdrant", f"{mask_url(self.url)} answered HTTP {exc.status_code}",
                                     hint="Check the server's log and the collection name (qdrant.collection).") from exc
        except (ConnectionError, TimeoutError, OSError, ResponseHandlingException) as exc:
            raise BackendUnavailable("qdrant", f"{mask_url(self.url)} unreachable ({exc})",
                                     hint="Start the server, or unset qdrant.url to use the embedded index.") from exc

    def _mismatch(self, schema: Schema) -> str | None:
        info = self._call(self.client.get_collection, self.collection)
        vectors = info.config.params.vectors or {}
        sparse = info.config.params.sparse_vectors or {}
        have = {name: params.size for name, params in vectors.items()} if isinstance(vectors, dict) else {}
        want = {schema.dense: schema.dimension} if schema.dense else {}
        if have == want and set(sparse) == {SPARSE}:
            return None
        old = ", ".join(f"{name.removeprefix('dense-')} ({size}-d)" for name, size in have.items()) or "lexical"
        return f"model changed ({old} -> {schema.model or 'lexical'})"

    def open(self, schema: Schema) -> str | None:
        from qdrant_client import models

        self.schema = schema
        if self.client is None:
            self.client = make_client(self.url, self.timeout)
        reason = "new"
        if self._call(self.client.collection_exists, self.collection):
            reason = self._mismatch(schema)
            if reason is None:
                return None
        self.destroy()
        vectors = ({schema.dense: models.VectorParams(size=schema.dimension, distance=models.Distance.COSINE)}
                   if schema.dense else {})
        self._call(self.client.create_collection, self.collection, vectors_config=vectors,
                   sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                   hnsw_config=models.HnswConfigDiff(m=16, ef_construct=100))
        if self.kind == "qdrant-server":  # local mode ignores payload indexes (and warns)
            self._call(self.client.create_payload_index, self.collection, "tags",
                       models.PayloadSchemaType.KEYWORD)
        return reason

    def upsert(self, points: list[IndexPoint]) -> None:
        from qdrant_client import models

        if not points:
            return
        structs = []
        for p in points:
            vector: dict[str, Any] = {SPARSE: models.SparseVector(indices=p.sparse[0], values=p.sparse[1])}
            if self.schema and self.schema.dense and p.dense is not None:
                vector[self.schema.dense] = p.dense
            structs.append(models.PointStruct(id=point_id(p.skill_id), vector=vector, payload=p.payload))
        self._call(self.client.upsert, self.collection, structs, wait=True)

    def delete(self, skill_ids: list[str]) -> None:
        from qdrant_client import models

        if skill_ids:
            self._call(self.client.delete, self.collection,
                       models.PointIdsList(points=[point_id(s) for s in skill_ids]), wait=True)

    def set_payload(self, skill_id: str, payload: dict[str, Any]) -> None:
        self._call(self.client.set_payload, self.collection, payload, points=[point_id(skill_id)], wait=True)

    def search(self, dense: list[float] | None, sparse: tuple[list[int], list[float]] | None,
               tag: str | None, limit: int) -> tuple[list[Hit], list[Hit]]:
        from qdrant_client import models

        flt = (models.Filter(must=[models.FieldCondition(key="tags", match=models.MatchValue(value=tag))])
               if tag else None)
        requests, kinds = [], []
        if dense is not None and self.schema and self.schema.dense:
            requests.append(models.QueryRequest(query=dense, using=self.schema.dense, limit=limit,
                                                filter=flt, with_payload=True))
            kinds.append("dense")
        if sparse is not None and sparse[0]:
            requests.append(models.QueryRequest(query=models.SparseVector(indices=sparse[0], values=sparse[1]),
                                                using=SPARSE, limit=limit, filter=flt, with_payload=True))
            kinds.append("sparse")
        answers = self._call(self.client.query_batch_points, self.collection, requests) if requests else []
        found = {kind: [Hit(p.payload["skill_id"], float(p.score), p.payload) for p in answer.points]
                 for kind, answer in zip(kinds, answers, strict=True)}
        return found.get("dense", []), found.get("sparse", [])

    def scan(self) -> Iterator[dict[str, Any]]:
        offset = None
        while True:
            records, offset = self._call(self.client.scroll, self.collection, limit=500, offset=offset,
                                         with_payload=True, with_vectors=False)
            for record in records:
                yield record.payload or {}
            if offset is None:
                return

    def count(self) -> int:
        if self.client is None:
            return 0
        return int(self._call(self.client.count, self.collection, exact=True).count)

    def flush(self) -> None:
        """Server writes are acknowledged with wait=True; nothing to do."""

    def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            client.close()

    def destroy(self) -> None:
        if self.client is not None and self._call(self.client.collection_exists, self.collection):
            self._call(self.client.delete_collection, self.collection)
