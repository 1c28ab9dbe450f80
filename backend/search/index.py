"""SkillIndex: the live search index of one workspace (``ws.search``).

It owns an engine (Qdrant Edge or a Qdrant server), the embedders, the reconciler
and the folder watcher. Start-up work (model load, reconcile, watcher) runs in one
background thread; searches are answered from whatever is indexed so far.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import BackendUnavailable
from ..events import Event
from .docs import SkillDoc
from .embedders import DenseEmbedder, QueryCache, SparseEncoder, load_dense
from .engines import Engine, IndexPoint, Schema
from .lock import IndexBusy, IndexLock
from .ranking import SearchHit, fuse
from .state import IndexStatus, Known

if TYPE_CHECKING:
    from ..workspace import Workspace

log = logging.getLogger(__name__)
EMBED_BATCH = 64


class SkillIndex:
    """Hybrid (meaning + words + exact) search over the skills of one workspace."""

    def __init__(self, ws: Workspace, engine: Engine, lock: IndexLock | None,
                 embedder: str | None = None) -> None:
        self.ws = ws
        self.engine = engine
        self.lock = lock
        self.embedder = embedder or ws.settings.index.embedder  # "minilm" or "lexical"
        self.dense: DenseEmbedder | None = None
        self.fallback_reason = ""
        self.sparse = SparseEncoder()
        self._query_vec: QueryCache | None = None
        self._engine_lock = threading.RLock()
        self.known = Known()
        self.invalid: dict[str, str] = {}
        self.state = "starting"
        self.message = ""
        self.progress: tuple[int, int] | None = None
        self.pending = 0
        self.last_event: Event | None = None
        self.last_report: Any = None  # the last reconcile's SyncReport
        self.needs_rebuild = False  # set when the index folder vanished under us
        self.ready = threading.Event()
        self.model_ready = threading.Event()  # engine open and embedder loaded: searches may run
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe = ws.events.subscribe(self._remember)

    # -- life cycle ---------------------------------------------------------------
    def start(self, *, background: bool = True, watch: bool = True) -> None:
        """Load the model, open the engine, reconcile, then watch skills/ (if ``watch``)."""
        if not background:
            self._startup()
            if watch:
                self._spawn(watch_only=True)
            return
        self._spawn(watch_only=False, watch=watch)

    def _spawn(self, *, watch_only: bool, watch: bool = True) -> None:
        from .watcher import watch_loop

        def run() -> None:
            try:
                if not watch_only:
                    self._startup()
                if watch and not self.stop.is_set():
                    watch_loop(self)
            except Exception as exc:  # noqa: BLE001 - the index is optional: report, never crash
                log.exception("skill index thread failed")
                self._fail(exc)

        self._thread = threading.Thread(target=run, name="skill-index", daemon=True)
        self._thread.start()

    def _startup(self) -> None:
        from .sync import reconcile

        try:
            # The model loads while the engine opens and lists its points (cold start).
            loaded: list[tuple[DenseEmbedder | None, str]] = []
            loader = threading.Thread(target=lambda: loaded.append(load_dense(self.embedder)),
                                      name="skill-index-model", daemon=True)
            loader.start()
            expected = self._expected_schema()
            self._open_engine(expected)
            loader.join()
            self.dense, self.fallback_reason = loaded[0] if loaded else (None, "the model failed to load")
            self._query_vec = QueryCache(self.dense) if self.dense else None
            self.model_ready.set()
            if self.engine_schema() != expected:  # the model did not load after all
                self._open_engine(self.engine_schema())
            reconcile(self)
        except Exception as exc:
            self._fail(exc)
            raise
        self.state = "ready"
        self.ready.set()
        model = self.dense.name if self.dense else "lexical fallback"
        self.ws.events.emit("index.ready", "skill index", f"{len(self.known):,} skills searchable ({model})",
                            points=len(self.known), model=model)

    def _expected_schema(self) -> Schema:
        from . import model_installed
        from .minilm import DIMENSION, MODEL_NAME

        semantic = self.embedder == "minilm" and model_installed()
        return Schema(MODEL_NAME, DIMENSION) if semantic else Schema(None, 0)

    def _open_engine(self, schema: Schema) -> None:
        with self._engine_lock:
            reason = self.engine.open(schema)
            self.known = Known([] if reason else [p for p in self.engine.scan() if "skill_id" in p])
        if reason and reason != "new":
            self.ws.events.emit("index.rebuilt", "skill index", f"rebuilding: {reason}", reason=reason)

    def _fail(self, exc: BaseException) -> None:
        self.state = "unavailable" if isinstance(exc, IndexBusy) else "error"
        self.message = str(exc)
        self.model_ready.set()
        self.ready.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until start-up finished (or failed); True if the index is ready."""
        self.ready.wait(timeout)
        return self.state == "ready"

    def close(self) -> None:
        """Stop the watcher, flush and release the engine and the lock; safe to call twice."""
        self.stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._unsubscribe()
        with self._engine_lock:
            try:
                self.engine.close()
            except Exception:  # noqa: BLE001 - closing must go on
                log.exception("closing the index engine failed")
            if self.lock is not None:
                self.lock.release()
        if self.state != "unavailable":
            self.state = "closed"

    # -- writes (reconciler and watcher) ------------------------------------------
    def index_docs(self, docs: list[SkillDoc]) -> None:
        """Embed and upsert ``docs`` (one batch)."""
        if not docs:
            return
        dense = self.dense.encode([d.dense_text() for d in docs]) if self.dense else None
        points = [IndexPoint(d.id, self.sparse.document(d.sparse_text()),
                             dense[i].tolist() if dense is not None else None, d.payload())
                  for i, d in enumerate(docs)]
        with self._engine_lock:
            self.engine.upsert(points)
            for d in docs:
                self.known[d.id] = d.payload()
                self.invalid.pop(d.id, None)

    def refresh_fingerprint(self, doc: SkillDoc) -> None:
        """Same content, new stat (touched or rewritten identically): no re-embedding."""
        payload = doc.payload()
        with self._engine_lock:
            self.engine.set_payload(doc.id, {k: payload[k] for k in ("mtime_ns", "size", "ino", "checked_ns")})
            self.known[doc.id] = payload

    def remove(self, ids: list[str]) -> list[str]:
        """Delete ``ids`` from the index; returns those that were indexed."""
        with self._engine_lock:
            present = [i for i in ids if i in self.known]
            self.engine.delete(present)
            for ident in present:
                self.known.pop(ident, None)
        return present

    # -- search -------------------------------------------------------------------
    def search(self, query: str, *, tag: str | None = None, limit: int = 10) -> list[SearchHit]:
        """Skills matching ``query`` best first: exact id/name, then fused meaning + words."""
        self._check_usable()
        text = " ".join(query.split())
        if not text:
            return []
        if not self.model_ready.wait(5.0):  # the model loads in well under a second
            raise BackendUnavailable("skill index", "still starting", hint="Try again in a moment.")
        self._check_usable()
        dense = self._query_vec(text) if self._query_vec else None
        sparse = self.sparse.query(text)
        depth = max(limit * 3, 30)
        with self._engine_lock:
            dense_hits, sparse_hits = self.engine.search(dense, sparse, tag, depth)
            exact = self._exact(text, tag)
        return fuse(exact, dense_hits, sparse_hits, limit)

    def _check_usable(self) -> None:
        if self.state in ("unavailable", "error", "closed"):
            raise BackendUnavailable("skill index", self.message or self.state,
                                     hint="See `storeroom doctor`; skills can still be listed and filtered.")

    def _exact(self, text: str, tag: str | None) -> list[dict[str, Any]]:
        wanted = text.lower()
        ids = set(self.known.names.get(wanted, ()))
        if wanted in self.known:
            ids.add(wanted)
        hits = [self.known[ident] for ident in ids]
        return [p for p in hits if tag is None or tag in p.get("tags", [])]

    def tags(self) -> dict[str, int]:
        """Tags of indexed skills with their counts (for the tag filter)."""
        counts: dict[str, int] = {}
        with self._engine_lock:
            for payload in self.known.values():
                for tag in payload.get("tags", []):
                    counts[tag] = counts.get(tag, 0) + 1
        return dict(sorted(counts.items()))

    def reindex(self, *, full: bool = False, progress: Callable[[int, int], None] | None = None) -> Any:
        """Reconcile now (``full``: drop everything and re-embed every file)."""
        from .sync import reconcile

        if self.state in ("unavailable", "error"):
            raise BackendUnavailable("skill index", self.message or self.state)
        self.ready.wait()
        if full:
            with self._engine_lock:
                self.engine.destroy()
                self.known.clear()
                self.engine.open(self.engine_schema())
        return reconcile(self, progress=progress)

    def optimize(self) -> float:
        """Build HNSW segments now (Qdrant Edge); returns seconds. It holds the GIL while it
        runs (seconds at 10k+ skills), so the CLI calls it, never the TUI."""
        optimize = getattr(self.engine, "optimize", None)
        if optimize is None:
            return 0.0
        started = time.perf_counter()
        with self._engine_lock:
            optimize()
        return time.perf_counter() - started

    def engine_schema(self) -> Schema:
        return Schema(self.dense.name, self.dense.dimension) if self.dense else Schema(None, 0)

    # -- state --------------------------------------------------------------------
    def _remember(self, event: Event) -> None:
        if event.kind.startswith(("skill.", "index.")):
            self.last_event = event

    def status(self) -> IndexStatus:
        model = f"{self.dense.name} ({self.dense.dimension}-d)" if self.dense else "lexical (BM25)"
        if self.state == "starting" and self.dense is None:
            model = "loading model"
        try:
            with self._engine_lock:
                points = self.engine.count() if self.state not in ("unavailable", "closed") else 0
        except Exception:  # noqa: BLE001 - a status line must not fail
            points = len(self.known)
        state = "building" if self.progress and self.state in ("starting", "ready") else self.state
        return IndexStatus(state, self.engine.kind, model, self.dense is not None, points, self.pending,
                           len(self.invalid), self.progress, self.last_event,
                           self.message or self.fallback_reason)

    def health(self) -> tuple[Any, str, dict[str, object]]:
        from .health import describe

        return describe(self.status())

    def set_progress(self, done: int, total: int) -> None:
        self.progress = (done, total) if total and done < total else None
